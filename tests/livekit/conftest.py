"""Fixtures for the room-path tests: the local LiveKit server and the provider simulators, one
of each per module, and caller speech."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness import CallerSpeech, SpeechToolsMissing, speak
from harness.scenario import benchmark_latency, support_script
from simulators import ProviderSimulator
from simulators.livekit import LiveKitServer, LiveKitServerThread
from simulators.server import SimulatorThread


@pytest.fixture(scope="module")
def livekit() -> Iterator[LiveKitServerThread]:
    server = LiveKitServer.run_in_thread()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def providers() -> Iterator[SimulatorThread]:
    sim = ProviderSimulator.run_in_thread(script=support_script(), latency=benchmark_latency())
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def say_at(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], CallerSpeech]:
    """Caller speech (espeak-ng) at a microphone's sample rate."""
    directory = tmp_path_factory.mktemp("room-caller")

    def make(text: str, sample_rate: int) -> CallerSpeech:
        try:
            return speak(text, directory=directory, sample_rate=sample_rate)
        except SpeechToolsMissing as exc:
            pytest.skip(str(exc))

    return make
