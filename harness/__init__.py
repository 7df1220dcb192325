"""Offline call harness shared by the end-to-end tests and the benchmarks.

Runs whole voice calls against the provider simulators: caller speech in at real-time pace,
agent audio out with real-time playout, per-turn timings, events and the transcript.

- `run_call(mode=, turns=, urls=, workdir=)` runs a full call in this process: a `CallResult`.
- `CallRunner` is the same call driven turn by turn; `harness.remote.RemoteCall` runs it in a
  child process (benchmarks, load tests), one process per call as worker jobs run.
- `speak(text, directory=)` makes caller turns with espeak-ng; `harness.scenario` holds the
  standard questions, provider script and latencies.

It never imports our agent unless asked to run it (`harness.acme`), so baselines stay baselines.
"""

from harness.audio_io import (
    AgentSegment,
    CallerAudioInput,
    CaptionOutput,
    PlayedSpeech,
    PlayoutAudioOutput,
)
from harness.call_setup import (
    CallerTurn,
    CallSetup,
    PreparedCall,
    SimulatorUrls,
    Starter,
    load_starter,
)
from harness.record import Event, EventLog, TurnResult
from harness.runner import CallResult, CallRunner, TurnTimeout, read_transcript, run_call
from harness.speech import CallerSpeech, SpeechToolsMissing, speak, speech_bounds

__all__ = [
    "AgentSegment",
    "CallResult",
    "CallRunner",
    "CallSetup",
    "CallerAudioInput",
    "CallerSpeech",
    "CallerTurn",
    "CaptionOutput",
    "Event",
    "EventLog",
    "PlayedSpeech",
    "PlayoutAudioOutput",
    "PreparedCall",
    "SimulatorUrls",
    "SpeechToolsMissing",
    "Starter",
    "TurnResult",
    "TurnTimeout",
    "load_starter",
    "read_transcript",
    "run_call",
    "speak",
    "speech_bounds",
]
