"""Offline call harness shared by the end-to-end tests and the benchmarks.

Runs whole voice calls in-process against the provider simulators: caller speech in at real-time
pace, agent audio out with real-time playout, per-turn timings, events and the transcript. It
never imports our agent unless asked to run it (`harness.acme`), so baselines stay baselines.
"""

from harness.audio_io import (
    AgentSegment,
    CallerAudioInput,
    CaptionOutput,
    PlayedSpeech,
    PlayoutAudioOutput,
)
from harness.record import Event, EventLog, TurnResult
from harness.runner import (
    CallerTurn,
    CallResult,
    CallRunner,
    CallSetup,
    PreparedCall,
    SimulatorUrls,
    Starter,
    TurnTimeout,
    load_starter,
    read_transcript,
    run_call,
)
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
