"""A phone caller's 8 kHz speech through the phone STT settings, the real Deepgram plugin and the
Deepgram simulator: the phone model, the phone line's rate and the key words reach the wire."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import wave
from collections.abc import AsyncIterator

import pytest
from livekit import rtc
from livekit.agents import stt, utils

from agent.session_factory import build_stt
from agent.settings import load_settings
from harness.scenario import acme_script
from simulators import Latency, ProviderSimulator

pytestmark = pytest.mark.integration

PHONE_RATE = 8000


@pytest.fixture(scope="module")
def phone_speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """ "order ten forty two" as a phone line carries it: 8 kHz PCM16, with silence around."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed for spoken audio")
    out = tmp_path_factory.mktemp("phone")
    raw, wav = out / "raw.wav", out / "phone.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), "order ten forty two"], check=True)
    subprocess.run(
        [
            "sox",
            str(raw),
            "-r",
            str(PHONE_RATE),
            "-c",
            "1",
            "-b",
            "16",
            str(wav),
            "pad",
            "0.5",
            "1",
        ],
        check=True,
    )
    with wave.open(str(wav)) as w:
        assert w.getframerate() == PHONE_RATE
        return w.readframes(w.getnframes())


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    async with (
        ProviderSimulator(script=acme_script(), latency=Latency.instant()) as simulator,
        utils.http_context.open(),
    ):
        yield simulator


async def test_phone_speech_is_transcribed_with_the_phone_settings(
    sim: ProviderSimulator, phone_speech: bytes
) -> None:
    settings = load_settings(
        environ={"DEEPGRAM_API_KEY": "dg", "ACME_DEEPGRAM_BASE_URL": sim.deepgram_base_url},
        require_keys=False,
    )
    sim.script.hear("Order ten forty two.")
    stream = build_stt(settings, phone=True).stream()
    frame = PHONE_RATE // 50 * 2  # 20 ms
    for start in range(0, len(phone_speech) - frame + 1, frame):
        chunk = phone_speech[start : start + frame]
        stream.push_frame(rtc.AudioFrame(chunk, PHONE_RATE, 1, len(chunk) // 2))
    stream.end_input()

    async def final_transcript() -> str:
        """The utterance's final pieces (Deepgram finalizes it in parts), up to its end."""
        finals: list[str] = []
        async for ev in stream:
            if ev.type == stt.SpeechEventType.FINAL_TRANSCRIPT:
                finals.append(ev.alternatives[0].text)
            elif ev.type == stt.SpeechEventType.END_OF_SPEECH and finals:
                return " ".join(finals)
        raise AssertionError("stream ended without a final transcript")

    assert await asyncio.wait_for(final_transcript(), 20) == "Order ten forty two."
    await stream.aclose()

    [record] = sim.received.stt_streams
    assert record.query["model"] == "nova-2-phonecall"
    assert record.query["sample_rate"] == str(PHONE_RATE)
    assert record.query["keywords"] == "Acme:2.0"  # the first of the boosted key words
    assert record.audio_s > 1.5  # the whole utterance arrived at 8 kHz, not resampled away
