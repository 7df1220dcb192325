"""The bare agents our agent is measured against, written as the LiveKit docs write them.

Like the docs' minimal voice pipeline: an `Agent` with instructions only, and
`AgentSession(stt=deepgram.STT(...), llm=openai.LLM(...), tts=cartesia.TTS(...),
vad=silero.VAD.load())`, greeting the user with `generate_reply`. In the realtime modes, the
docs' minimal speech-to-speech agent: `AgentSession(llm=openai.realtime.RealtimeModel())`, and
for realtime_text the same model with `modalities=["text"]` plus `tts=cartesia.TTS()`. No tools,
no event handlers, no settings, no store, no transcript. The only change is where the plugins
connect: the same simulators our agent uses in the benchmark (`prepare_baseline` is its harness
starter).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from livekit.agents import Agent, AgentSession, io, room_io, vad
from livekit.plugins import cartesia, deepgram, openai, silero

from harness.call_setup import CallSetup

KEY = "simulated"


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a helpful voice AI assistant.")


class BaselineCall:
    """The docs' entrypoint, split so the harness can subscribe before it starts."""

    transcript_path: Path | None = None
    audio_input = room_io.AudioInputOptions()
    """The docs' room: its default input (24 kHz, 50 ms frames)."""

    def __init__(self, setup: CallSetup, *, vad_model: vad.VAD | None) -> None:
        urls = setup.urls
        match setup.mode:
            case "pipeline":
                self.session: AgentSession[Any] = AgentSession(
                    stt=deepgram.STT(model="nova-3", base_url=urls.deepgram, api_key=KEY),
                    llm=openai.LLM(model="gpt-4.1-mini", base_url=urls.openai, api_key=KEY),
                    tts=cartesia.TTS(base_url=urls.cartesia, api_key=KEY),
                    vad=vad_model,  # silero.VAD.load(), loaded off the event loop below
                )
            case "realtime":
                self.session = AgentSession(
                    llm=openai.realtime.RealtimeModel(base_url=urls.openai, api_key=KEY)
                )
            case "realtime_text":
                self.session = AgentSession(
                    llm=openai.realtime.RealtimeModel(
                        modalities=["text"], base_url=urls.openai, api_key=KEY
                    ),
                    tts=cartesia.TTS(base_url=urls.cartesia, api_key=KEY),
                )
            case _:
                raise ValueError(f"no baseline agent for mode {setup.mode!r}")

    async def start(self, *, audio_input: io.AudioInput, audio_output: io.AudioOutput) -> None:
        self.session.input.audio = audio_input
        self.session.output.audio = audio_output
        await self.session.start(agent=Assistant())
        self.session.generate_reply(instructions="Greet the user and offer your assistance.")

    async def aclose(self) -> None:
        await self.session.aclose()


async def prepare_baseline(setup: CallSetup) -> BaselineCall:
    if setup.mode != "pipeline":
        return BaselineCall(setup, vad_model=None)
    return BaselineCall(setup, vad_model=await asyncio.to_thread(silero.VAD.load))
