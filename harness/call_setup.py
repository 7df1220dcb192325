"""What a harness call is made of: where the simulators are, how the agent is wired, what is said.

A starter (`module:function`) turns a `CallSetup` into a `PreparedCall`: a wired session that is
not started yet. `harness.acme:prepare_acme` is ours; `bench.baseline_agent:prepare_baseline`
is the bare pipeline agent the benchmarks compare against.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from livekit.agents import AgentSession, io

from harness.speech import CallerSpeech

DEFAULT_STARTER = "harness.acme:prepare_acme"


@dataclass(frozen=True, kw_only=True)
class SimulatorUrls:
    """Where the provider plugins connect (see `simulators.ProviderSimulator`)."""

    openai: str
    deepgram: str
    cartesia: str

    @classmethod
    def of(cls, sim: Any) -> SimulatorUrls:
        """From a `ProviderSimulator` or `SimulatorThread`."""
        return cls(
            openai=sim.openai_base_url,
            deepgram=sim.deepgram_base_url,
            cartesia=sim.cartesia_base_url,
        )


@dataclass(frozen=True, kw_only=True)
class CallSetup:
    """What a starter needs to wire one call."""

    mode: str
    urls: SimulatorUrls
    workdir: Path
    call_id: str
    environ: dict[str, str] = field(default_factory=dict)
    """Extra settings (environment variable names) for starters that read settings."""


class PreparedCall(Protocol):
    """A wired call, not started yet (so events can be subscribed to first)."""

    @property
    def session(self) -> AgentSession[Any]: ...

    @property
    def transcript_path(self) -> Path | None: ...

    async def start(self, *, audio_input: io.AudioInput, audio_output: io.AudioOutput) -> None: ...

    async def aclose(self) -> None: ...


Starter = Callable[[CallSetup], Awaitable[PreparedCall]]


def load_starter(spec: str) -> Starter:
    """`module:function`, imported only now (so a baseline run never imports our agent)."""
    module, _, name = spec.partition(":")
    starter: Starter = getattr(importlib.import_module(module), name)
    return starter


@dataclass(frozen=True, kw_only=True)
class CallerTurn:
    """What the caller says, and optionally when: talking over the agent's previous reply."""

    speech: CallerSpeech
    barge_in_after_s: float | None = None
    """Start this long after the previous reply's first audio instead of after it ends."""
