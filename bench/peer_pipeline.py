"""A standard Pipecat voice pipeline, driven turn by turn like `harness.remote`'s calls.

Runs in `.venv-peer` (Pipecat's own environment, bench/peer_env.py), so it imports only the
standard library, Pipecat and `tools/` (never livekit, harness or agent). The pipeline is
Pipecat's documented shape with its defaults: transport input -> Deepgram STT -> user context
aggregator (Silero VAD, Pipecat's default turn strategies) -> OpenAI LLM (a `lookup_order`
function on our real SQLite store through tools.SupportDesk) -> Cartesia TTS -> transport
output -> assistant context aggregator.

The transport is the harness's: a microphone that delivers the caller's WAV (resampled to the
16 kHz Silero needs) in 20 ms frames paced by the wall clock, noting when the last speech
sample left it, and a loudspeaker that plays the agent's audio in real time and notes when its
first frame arrived. The parent speaks the `harness.remote` protocol: JSON lines on stdin,
`HARNESS {...}` lines on stdout (`ready`, then `turn` per turn, `closed`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PREFIX = "HARNESS "  # harness.remote.PREFIX (not importable here: harness imports livekit)
SAMPLE_RATE = 16000  # Silero VAD in Pipecat takes 8 or 16 kHz
FRAME_MS = 20
INSTRUCTIONS = ROOT / "config" / "prompts" / "support.md"


@dataclass(kw_only=True)
class PeerOptions:
    """The fields of harness.remote.CallOptions this child uses (it is given all of them)."""

    openai_url: str
    deepgram_url: str
    cartesia_url: str
    workdir: str
    call_id: str = "peer-pipecat"
    greeting: bool = True
    turn_timeout_s: float = 45.0


@dataclass(kw_only=True)
class _Turn:
    pcm: bytes
    speech_end: int  # byte offset where the caller stops talking
    offset: int = 0
    started_at: float = 0.0
    speech_end_at: float = 0.0
    done: asyncio.Future[None] | None = None


@dataclass(kw_only=True)
class _Timeline:
    """When the caller's turn ended at the microphone and the agent's audio reached the speaker."""

    speech_end_at: float | None = None
    first_audio_at: float | None = None
    user_texts: list[str] = field(default_factory=list)
    spoke: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def read_speech(path: Path) -> tuple[bytes, int]:
    """A caller's WAV resampled to 16 kHz, and the byte offset where its speech ends.

    The speech end is found by the harness's own rule (harness/speech.py, loaded by path: the
    harness package itself imports livekit).
    """
    import numpy as np
    import soxr

    speech = _harness_speech().CallerSpeech.from_wav(path)
    samples = np.frombuffer(speech.pcm, dtype=np.int16)
    if speech.sample_rate != SAMPLE_RATE:
        samples = soxr.resample(samples, speech.sample_rate, SAMPLE_RATE)
    end = min(len(samples), round(speech.speech_end_s * SAMPLE_RATE))
    return samples.astype(np.int16).tobytes(), end * 2


def _harness_speech() -> Any:
    name = "_harness_speech"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "harness" / "speech.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


async def run_child(options: PeerOptions, out: TextIO) -> None:
    from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
    from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.frames.frames import (
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        EndFrame,
        InputAudioRawFrame,
        LLMRunFrame,
        OutputAudioRawFrame,
        StartFrame,
        TranscriptionFrame,
    )
    from pipecat.observers.base_observer import BaseObserver, FramePushed
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.services.cartesia.tts import CartesiaTTSService
    from pipecat.services.deepgram.stt import DeepgramSTTService
    from pipecat.services.llm_service import FunctionCallParams
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.transports.base_input import BaseInputTransport
    from pipecat.transports.base_output import BaseOutputTransport
    from pipecat.transports.base_transport import TransportParams
    from pipecat.workers.runner import WorkerRunner

    from tools.errors import SupportError
    from tools.stores import open_store
    from tools.support import CallerVerification, SupportDesk

    clock = time.perf_counter
    timeline = _Timeline()
    turns: deque[_Turn] = deque()
    late = [0]
    frame_bytes = SAMPLE_RATE * FRAME_MS // 1000 * 2

    class Microphone(BaseInputTransport):
        """Silence, or the queued caller turn, in 20 ms frames at real-time pace."""

        _task: asyncio.Task[None] | None = None

        async def start(self, frame: StartFrame) -> None:
            await super().start(frame)
            self._task = self.create_task(self._deliver())
            await self.set_transport_ready(frame)

        async def cleanup(self) -> None:
            if self._task is not None:
                await self.cancel_task(self._task)
            await super().cleanup()

        async def _deliver(self) -> None:
            started, frames = clock(), 0
            while True:
                frames += 1
                delay = started + frames * FRAME_MS / 1000 - clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -FRAME_MS / 1000:
                    late[0] += 1
                now = clock()
                chunk = b""
                if turns:
                    turn = turns[0]
                    start = turn.offset
                    chunk = turn.pcm[start : start + frame_bytes]
                    turn.offset += len(chunk)

                    def at(byte: int, start: int = start, now: float = now) -> float:
                        return now - (frame_bytes - (byte - start)) / 2 / SAMPLE_RATE

                    if start == 0:
                        turn.started_at = at(0)
                    if start < turn.speech_end <= start + len(chunk):
                        turn.speech_end_at = at(turn.speech_end)
                        timeline.speech_end_at = turn.speech_end_at
                    if turn.offset >= len(turn.pcm):
                        turns.popleft()
                        if turn.done is not None and not turn.done.done():
                            turn.done.set_result(None)
                frame = InputAudioRawFrame(
                    audio=chunk.ljust(frame_bytes, b"\x00"),
                    sample_rate=SAMPLE_RATE,
                    num_channels=1,
                )
                await self.push_audio_frame(frame)

    class Loudspeaker(BaseOutputTransport):
        """Plays the agent's audio at real-time pace; notes its first frame after a turn."""

        _next_at = 0.0

        async def start(self, frame: StartFrame) -> None:
            await super().start(frame)
            await self.set_transport_ready(frame)

        async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
            now = clock()
            if timeline.first_audio_at is None and any(frame.audio):
                timeline.first_audio_at = now
                timeline.spoke.set()
            duration = len(frame.audio) / 2 / frame.sample_rate / frame.num_channels
            self._next_at = max(self._next_at, now) + duration
            await asyncio.sleep(max(0.0, self._next_at - clock()))
            return True

    class Watcher(BaseObserver):
        """What the caller's STT heard and when the agent stopped speaking."""

        async def on_push_frame(self, data: FramePushed) -> None:
            frame = data.frame
            if not data.first_push:
                return
            if isinstance(frame, TranscriptionFrame) and data.source is stt:
                timeline.user_texts.append(frame.text)
            elif isinstance(frame, BotStartedSpeakingFrame):
                timeline.stopped.clear()
            elif isinstance(frame, BotStoppedSpeakingFrame):
                timeline.stopped.set()

    workdir = Path(options.workdir)
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    store = await open_store(str(workdir / "acme.db"), seed=True)
    desk = SupportDesk(store=store)
    verification = CallerVerification(call_id=options.call_id)

    async def lookup_order(params: FunctionCallParams) -> None:
        args = params.arguments
        try:
            answer = await desk.order_status(
                verification, str(args["order_id"]), confirmed=bool(args.get("confirmed"))
            )
        except SupportError as exc:
            answer = str(exc)
        timeline.tool_calls.append({"name": "lookup_order", "arguments": dict(args)})
        await params.result_callback(answer)

    tools = ToolsSchema(
        standard_tools=[
            FunctionSchema(
                name="lookup_order",
                description=(
                    "Look up an order's status, items, carrier, tracking number and delivery "
                    "dates. Anyone with the order number may hear this."
                ),
                properties={
                    "order_id": {
                        "type": "string",
                        "description": "The order number exactly as the caller said it.",
                    },
                    "confirmed": {
                        "type": "boolean",
                        "description": "The caller confirmed the number you read back.",
                    },
                },
                required=["order_id"],
            )
        ]
    )
    deepgram_root = options.deepgram_url.removesuffix("/").removesuffix("/v1/listen")
    stt = DeepgramSTTService(api_key="x", base_url=deepgram_root)
    llm = OpenAILLMService(api_key="x", base_url=options.openai_url)
    llm.register_function("lookup_order", lookup_order)
    tts = CartesiaTTSService(
        api_key="x",
        url=options.cartesia_url.replace("http", "ws", 1).rstrip("/") + "/tts/websocket",
        voice_id="f786b574-daa5-4673-aa0c-cbe3e8534c02",
    )
    context = LLMContext(
        messages=[{"role": "system", "content": INSTRUCTIONS.read_text(encoding="utf-8")}],
        tools=tools,
    )
    aggregators = LLMContextAggregatorPair(
        context,
        user_params=LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer()),
    )
    params = TransportParams(
        audio_in_enabled=True,
        audio_in_sample_rate=SAMPLE_RATE,
        audio_out_enabled=True,
        audio_out_sample_rate=24000,
    )
    microphone, loudspeaker = Microphone(params), Loudspeaker(params)
    pipeline = Pipeline(
        [
            microphone,
            stt,
            aggregators.user(),
            llm,
            tts,
            loudspeaker,
            aggregators.assistant(),
        ]
    )
    worker = PipelineWorker(
        pipeline,
        params=PipelineParams(audio_in_sample_rate=SAMPLE_RATE, audio_out_sample_rate=24000),
        observers=[Watcher()],
        idle_timeout_secs=None,
    )
    runner = WorkerRunner(handle_sigint=False)
    running = asyncio.create_task(runner.run(worker))

    async def agent_turn() -> None:
        """Wait for the agent to start speaking, then to stop."""
        await timeline.spoke.wait()
        await timeline.stopped.wait()

    try:
        if options.greeting:
            await worker.queue_frames([LLMRunFrame()])
            await asyncio.wait_for(agent_turn(), options.turn_timeout_s)
        _emit(out, "ready", pid=os.getpid())
        index = 0
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            command = json.loads(line)
            if command["op"] == "close":
                break
            pcm, speech_end = await asyncio.to_thread(read_speech, Path(command["wav"]))
            fresh = _Timeline()
            timeline.__dict__.update(fresh.__dict__)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            turns.append(_Turn(pcm=pcm, speech_end=speech_end, done=done))
            await asyncio.wait_for(asyncio.gather(done, agent_turn()), options.turn_timeout_s)
            latency = None
            if timeline.speech_end_at is not None and timeline.first_audio_at is not None:
                latency = timeline.first_audio_at - timeline.speech_end_at
            turn = {
                "index": index,
                "text": command.get("text", ""),
                "speech_end_at": timeline.speech_end_at,
                "first_audio_at": timeline.first_audio_at,
                "latency_s": latency,
                "user_texts": [" ".join(timeline.user_texts)] if timeline.user_texts else [],
                "tool_calls": timeline.tool_calls,
            }
            index += 1
            _emit(out, "turn", turn=turn, late_frames=late[0])
    finally:
        await worker.queue_frames([EndFrame()])
        try:
            await asyncio.wait_for(running, 10)
        except TimeoutError:
            await worker.cancel()
        await store.close()
    _emit(out, "closed", late_frames=late[0], modules=len(sys.modules))


def _emit(out: TextIO, event: str, **data: Any) -> None:
    out.write(PREFIX + json.dumps({"event": event, **data}, default=str) + "\n")
    out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--options", required=True, help="PeerOptions as JSON")
    args = parser.parse_args()
    given = json.loads(args.options)
    options = PeerOptions(**{k: given[k] for k in PeerOptions.__dataclass_fields__ if k in given})
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write on the protocol channel
    asyncio.run(run_child(options, out))


if __name__ == "__main__":
    main()
