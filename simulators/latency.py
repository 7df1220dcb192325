"""Simulated provider latencies, read at every use so they can change while serving."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class Latency:
    """Delays the simulators add; mutate fields (or replace the object) at any time."""

    stt_final_s: float = 0.1
    """Delay between the end of a speech segment and its final transcript."""
    llm_ttft_s: float = 0.2
    """Delay before the first token of a Chat Completions response."""
    llm_tokens_per_s: float = 50.0
    """Streaming rate of Chat Completions tokens (0 = as fast as possible)."""
    tts_ttfb_s: float = 0.08
    """Delay before the first audio chunk of a TTS request."""
    tts_realtime_factor: float = 0.0
    """Audio pacing: 1.0 sends audio in real time, 0 sends it as fast as possible."""
    realtime_first_audio_s: float = 0.3
    """Delay between `response.created` and the first Realtime output."""
    realtime_transcript_s: float = 0.5
    """Delay between a Realtime turn's commit and the caller's transcript (it is transcribed
    alongside the response, by another model)."""
    realtime_transcript_late_s: float = 0.0
    """Extra delay on top of `realtime_transcript_s`: a transcription that arrives well after the
    response (tools included) has finished; above 0, no response waits for it, even with
    `Behaviour.realtime.transcript_before_response`."""

    @classmethod
    def instant(cls) -> Latency:
        """No added delay anywhere: for functional tests."""
        return cls(
            stt_final_s=0.0,
            llm_ttft_s=0.0,
            llm_tokens_per_s=0.0,
            tts_ttfb_s=0.0,
            tts_realtime_factor=0.0,
            realtime_first_audio_s=0.0,
            realtime_transcript_s=0.0,
        )

    def token_interval_s(self) -> float:
        return 1.0 / self.llm_tokens_per_s if self.llm_tokens_per_s > 0 else 0.0

    def audio_pace_s(self, audio_s: float) -> float:
        """Wall time to wait after sending `audio_s` seconds of audio."""
        return audio_s * self.tts_realtime_factor if self.tts_realtime_factor > 0 else 0.0
