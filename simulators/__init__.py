"""Local simulators of the provider wire protocols (OpenAI, Deepgram, Cartesia) for tests."""

from .audio import (
    SegmenterConfig,
    SpeechSegmenter,
    speech_duration_s,
    synthesize,
    synthesize_async,
)
from .behaviour import Behaviour, DeepgramBehaviour, RealtimeBehaviour
from .faults import FaultKind, Faults, Stage
from .latency import Latency
from .record import (
    RealtimeSession,
    Received,
    SttStream,
    ToolResult,
    TranscriptionRequest,
    TtsRequest,
)
from .script import (
    Conversation,
    Message,
    Reply,
    Rule,
    Script,
    ToolCall,
    always,
    named_script,
    on_instructions,
    on_tool_result,
    on_user_says,
)
from .server import ProviderSimulator, SimulatorThread

__all__ = [
    "Behaviour",
    "Conversation",
    "DeepgramBehaviour",
    "FaultKind",
    "Faults",
    "Latency",
    "Message",
    "ProviderSimulator",
    "RealtimeBehaviour",
    "RealtimeSession",
    "Received",
    "Reply",
    "Rule",
    "Script",
    "SegmenterConfig",
    "SimulatorThread",
    "SpeechSegmenter",
    "Stage",
    "SttStream",
    "ToolCall",
    "ToolResult",
    "TranscriptionRequest",
    "TtsRequest",
    "always",
    "named_script",
    "on_instructions",
    "on_tool_result",
    "on_user_says",
    "speech_duration_s",
    "synthesize",
    "synthesize_async",
]
