"""Turn-taking levers side by side: latency, turns held, callers cut off, in one interleaved run.

Usage: python bench/levers.py [--set plain|flat|paused|order] [--configs a,b,...] [--rounds 3]

Each contender is one call in its own process against one set of provider simulators with the
fixed latencies of bench/turn_latency.py: the bare LiveKit agent (`baseline`) and our agent under
named settings overrides (`CONFIGS`, written over config/settings.toml into a settings file of
their own). Every round plays each utterance of the set to every contender, in a rotating order.
Per turn: io (end of the caller's speech to the agent's first audio), the framework's
end_of_turn_delay (held: over 1 s, the turn detector waited for more speech), and whether the
caller was cut off: the agent's first audio, or a user turn committed, before the caller finished
(a paused utterance split into two user turns).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/levers.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bench.turn_latency import BASELINE, OURS, loadavg, percentile  # noqa: E402
from harness.paused_speech import (  # noqa: E402
    FLAT_QUESTIONS,
    PAUSED_SET,
    VAD_SILENCE_LAG_S,
    PausedUtterance,
    speak_paused,
    stt_split_s,
)
from harness.remote import CallOptions, RemoteCall  # noqa: E402
from harness.scenario import (  # noqa: E402
    NO_TOOL_QUESTION,
    ORDER_QUESTION,
    benchmark_latency,
    support_script,
)
from harness.speech import CallerSpeech  # noqa: E402
from simulators import ProviderSimulator, SimulatorThread  # noqa: E402

Overrides = dict[str, dict[str, Any]]

CONFIGS: dict[str, Overrides] = {
    "ours": {},
    "before": {
        "vad": {"min_silence_duration": 0.55},
        "stt": {"finalize_on_silence": False},
        "tts": {"text_chunks": "sentence"},
        "turn_handling": {
            "preemptive_tts": False,
            "min_endpointing_delay": 0.3,  # the framework's defaults with the turn detector
            "max_endpointing_delay": 2.5,
        },
    },
    "vad_0.55": {"vad": {"min_silence_duration": 0.55}},
    "no_finalize": {"stt": {"finalize_on_silence": False}},
    "sentences": {"tts": {"text_chunks": "sentence"}},
    "no_preemptive_tts": {"turn_handling": {"preemptive_tts": False}},
    "preemptive_tts": {"turn_handling": {"preemptive_tts": True}},
    "phrases": {"tts": {"text_chunks": "phrase"}},
    "vad_0.3": {"vad": {"min_silence_duration": 0.3}},
    "min_delay_0.3": {"turn_handling": {"min_endpointing_delay": 0.3}},
    "max_delay_1.5": {"turn_handling": {"max_endpointing_delay": 1.5}},
    "max_delay_1.0": {"turn_handling": {"max_endpointing_delay": 1.0}},
    "max_delay_1.2": {"turn_handling": {"max_endpointing_delay": 1.2}},
    "threshold_0.1": {"turn_handling": {"unlikely_threshold": 0.1}},
    "vad_only": {"turn_handling": {"turn_detector": "vad"}},
    "dg_endpointing_300": {"stt": {"endpointing_ms": 300}},
    "finalize": {"stt": {"finalize_on_silence": True}},
    "vad_0.25": {"vad": {"min_silence_duration": 0.25}},
    "min_delay_0.4": {"turn_handling": {"min_endpointing_delay": 0.4}},
    "min_delay_0.5": {"turn_handling": {"min_endpointing_delay": 0.5}},
    "min_delay_0.6": {"turn_handling": {"min_endpointing_delay": 0.6}},
    "no_preemptive": {"turn_handling": {"preemptive_generation": False}},
    "question_0.55": {"turn_handling": {"question_max_delay": 0.55}},
    "question_0.8": {"turn_handling": {"question_max_delay": 0.8}},
    "pause_0.15": {"stt": {"finalize_after_s": 0.15}},
    "pause_0.25": {"stt": {"finalize_after_s": 0.25}},
    "pause_0.2": {"stt": {"finalize_after_s": 0.2}},
    "pause_0.3": {"stt": {"finalize_after_s": 0.3}},
    "vad_0.45": {"vad": {"min_silence_duration": 0.45}},
    "min_delay_0.45": {"turn_handling": {"min_endpointing_delay": 0.45}},
}
"""Named overrides of config/settings.toml (None: unset); `a+b` combines configs: `before+x` is
lever x alone on the defaults before they were tuned."""

SETS: dict[str, tuple[PausedUtterance, ...]] = {
    "plain": (PausedUtterance(pieces=(NO_TOOL_QUESTION.spoken,), pauses_s=()),),
    "order": (
        PausedUtterance(
            pieces=(ORDER_QUESTION.spoken,), pauses_s=(), transcribed=(ORDER_QUESTION.heard,)
        ),
    ),
    "flat": FLAT_QUESTIONS,
    "paused": PAUSED_SET,
}


@dataclass(kw_only=True)
class Contender:
    name: str
    overrides: Overrides | None  # None: the baseline agent
    turns: list[dict[str, Any]] = field(default_factory=list)
    misheard: int = 0

    @property
    def split_s(self) -> float:
        """Silence after which the simulated STT ends an utterance on this agent's stream."""
        if self.overrides is None:
            return stt_split_s()
        data = merged_settings(self.overrides)
        stt, vad = data.get("stt", {}), data.get("vad", {})
        finalize = stt.get("finalize_on_silence", False)
        pause_s = stt.get("finalize_after_s", 0.0)
        after_s = (pause_s + VAD_SILENCE_LAG_S) if pause_s else None
        if after_s is None and finalize:
            after_s = vad.get("min_silence_duration", 0.55)
        return stt_split_s(endpointing_ms=stt.get("endpointing_ms", 25), finalize_after_s=after_s)


def combine(name: str) -> Overrides:
    """`a+b`: the overrides of configs a and b together."""
    merged: Overrides = {}
    for part in name.split("+"):
        for section, values in CONFIGS[part].items():
            merged.setdefault(section, {}).update(values)
    return merged


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _toml_table(prefix: str, table: dict[str, Any], out: list[str]) -> None:
    out.append(f"[{prefix}]")
    out.extend(f"{k} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict))
    for k, v in table.items():
        if isinstance(v, dict):
            _toml_table(f"{prefix}.{k}", v, out)


def merged_settings(overrides: Overrides) -> dict[str, Any]:
    """config/settings.toml with `overrides` applied."""
    with (ROOT / "config" / "settings.toml").open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    for section, values in overrides.items():
        table = data.setdefault(section, {})
        for key, value in values.items():
            if value is None:  # unset: the framework's default
                table.pop(key, None)
            else:
                table[key] = value
    return data


def settings_file(overrides: Overrides, path: Path) -> Path:
    """config/settings.toml with `overrides` applied, written to `path`."""
    lines: list[str] = []
    for section, table in merged_settings(overrides).items():
        _toml_table(section, table, lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def _cut_off(turn: dict[str, Any], heard: str) -> bool:
    first = turn["first_audio_at"]
    spoke_early = first is not None and first < turn["speech_end_at"]
    return spoke_early or len(turn["user_texts"]) > 1 or turn["user_texts"] != [heard]


async def _turn(
    sim: SimulatorThread, call: RemoteCall, who: Contender, u: PausedUtterance, speech: CallerSpeech
) -> None:
    pieces = u.heard(who.split_s)
    sim.simulator.script.hear(*pieces)
    assert speech.path is not None
    turn = await call.turn(speech.path, text=speech.text)
    leftover = sim.simulator.script.hears
    heard = " ".join(pieces)
    if leftover:  # the STT joined stretches of speech it was expected to split
        sim.simulator.script.hears.clear()
        who.misheard += 1
        heard = " ".join(pieces[: len(pieces) - len(leftover)])
    turn["cut_off"] = _cut_off(turn, heard)
    turn["utterance"] = u.text
    who.turns.append(turn)


async def run(
    names: Sequence[str],
    utterances: Sequence[PausedUtterance],
    rounds: int,
    workdir: Path,
    *,
    playout_speed: float = 1.0,
) -> list[Contender]:
    contenders = [Contender(name="baseline", overrides=None)]
    contenders += [Contender(name=n, overrides=combine(n)) for n in names]
    cache = ROOT / "data" / "bench-speech"
    speech = [await asyncio.to_thread(speak_paused, u, directory=cache) for u in utterances]
    with ProviderSimulator.run_in_thread(
        script=support_script(), latency=benchmark_latency()
    ) as sim:
        calls = []
        for i, who in enumerate(contenders):
            environ = {}
            if who.overrides is not None:
                path = settings_file(who.overrides, workdir / f"settings-{i}.toml")
                environ["ACME_CONFIG"] = str(path)
            options = CallOptions(
                mode="pipeline",
                openai_url=sim.openai_base_url,
                deepgram_url=sim.deepgram_base_url,
                cartesia_url=sim.cartesia_base_url,
                workdir=str(workdir / f"call-{i}"),
                call_id=f"levers-{i}",
                starter=BASELINE if who.overrides is None else OURS,
                environ=environ,
                playout_speed=playout_speed,
            )
            calls.append(RemoteCall(options=options))
        async with contextlib.AsyncExitStack() as stack:
            for call in calls:  # one at a time: startup is not what is measured
                await stack.enter_async_context(call)
            warm = await asyncio.to_thread(speak_paused, SETS["plain"][0], directory=cache)
            for call in calls:  # a first turn, not counted
                sim.simulator.script.hear(*SETS["plain"][0].heard())
                assert warm.path is not None
                await call.turn(warm.path, text=warm.text)
            for round_no in range(rounds):
                for k, (u, said) in enumerate(zip(utterances, speech, strict=True)):
                    shift = (round_no * len(utterances) + k) % len(contenders)
                    for i in [*range(shift, len(contenders)), *range(shift)]:
                        await _turn(sim, calls[i], contenders[i], u, said)
                print(f"round {round_no + 1}/{rounds} load {loadavg()}", file=sys.stderr)
    return contenders


def report(contenders: list[Contender], *, title: str, load: list[str]) -> None:
    print(f"{title}; load average {' -> '.join(load)}")
    print(
        f"{'agent':<28} {'n':>3} {'io p50':>7} {'io p95':>7} {'eot p50':>7} "
        f"{'held':>5} {'cut off':>8} {'joined':>6}"
    )
    for who in contenders:
        io = [t["latency_s"] for t in who.turns if t["latency_s"] is not None]
        eot = [t["user_metrics"].get("end_of_turn_delay", float("nan")) for t in who.turns]
        held = sum(1 for v in eot if v > 1.0)
        cut = sum(1 for t in who.turns if t["cut_off"])
        n = len(who.turns)
        print(
            f"{who.name:<28} {n:>3} {_ms(statistics.median(io) if io else None):>7} "
            f"{_ms(percentile(io, 95) if io else None):>7} "
            f"{_ms(statistics.median(eot) if eot else None):>7} "
            f"{held:>2}/{n:<2} {cut:>4}/{n:<3} {who.misheard:>6}"
        )
    for who in contenders:
        for t in who.turns:
            if t["cut_off"]:
                print(f"  cut off: {who.name}: {t['utterance']!r} heard as {t['user_texts']!r}")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="plain")
    parser.add_argument("--configs", default="ours", help="comma-separated, a+b combines")
    parser.add_argument("--rounds", type=int, default=3, help="plays of the whole set")
    parser.add_argument("--limit", type=int, default=0, help="first N utterances only")
    parser.add_argument(
        "--playout-speed", type=float, default=1.0, help="play replies faster (not measured)"
    )
    args = parser.parse_args()
    names = [n for n in args.configs.split(",") if n]
    utterances = SETS[args.set][: args.limit or None]
    load = [loadavg()]
    with tempfile.TemporaryDirectory(prefix="acme-bench-levers-") as tmp:
        contenders = asyncio.run(
            run(names, utterances, args.rounds, Path(tmp), playout_speed=args.playout_speed)
        )
    load.append(loadavg())
    lat = benchmark_latency()
    title = (
        f"set {args.set} ({len(utterances)} utterances x {args.rounds} rounds); simulated STT "
        f"final {lat.stt_final_s * 1000:.0f} ms, LLM TTFT {lat.llm_ttft_s * 1000:.0f} ms, "
        f"TTS TTFB {lat.tts_ttfb_s * 1000:.0f} ms"
    )
    report(contenders, title=title, load=load)


if __name__ == "__main__":
    main()
