"""A local server speaking LiveKit's own protocols (signal, agent workers, server API) on
127.0.0.1, so the real worker, the real Python and JavaScript clients run against it in tests."""

from simulators.livekit.server import DEV_KEY, DEV_SECRET, LiveKitServer, LiveKitServerThread
from simulators.livekit.twirp import TwirpFailure

__all__ = ["DEV_KEY", "DEV_SECRET", "LiveKitServer", "LiveKitServerThread", "TwirpFailure"]
