"""SIGTERM during a call: the worker exits 0 in time and the transcript holds every finished turn.

The worker runs as users run it (`python agent/main.py console --text`, typed into through a
pseudo-terminal) against the provider simulators, in pipeline mode with a real SQLite store.
Its logs, written as `start` mode writes them (JSON), must carry the call's room, call id and
mode on every line of ours, and no customer data anywhere, even at DEBUG.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.scenario import lookup_order_when_mentioned
from simulators import Latency, ProviderSimulator, Script, on_user_says
from simulators.server import SimulatorThread
from tests.ship.console import ConsoleProcess

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DRAIN_TIMEOUT_S = 20
CUSTOMER_DATA = ("jordan.rivera@example.com", "Mission Street", "555-0142", "94110", "Jordan")

# (what the caller types, the tool the scripted model calls) for the turns that finish
FINISHED_TURNS = [
    ("Where is my order ACME-1042?", "lookup_order"),
    (
        "This is Jordan, email jordan.rivera@example.com, zip 94110, for order ACME-1042",
        "verify_caller",
    ),
    ("What is the shipping address on ACME-1042?", "get_order_details"),
]
IN_PROGRESS = "And where is order ACME-1045?"


@pytest.fixture
def simulator() -> Iterator[SimulatorThread]:
    script = Script(
        rules=[
            on_user_says(r"email (\S+), zip (\d+), for order (\S+)").call_tool(
                "verify_caller", {"order_id": r"\3", "email": r"\1", "zip_code": r"\2"}
            ),
            on_user_says(r"shipping address on (ACME-\d+)").call_tool(
                "get_order_details", {"order_id": r"\1"}
            ),
            lookup_order_when_mentioned(),
        ]
    )
    sim = ProviderSimulator.run_in_thread(script=script, latency=Latency.instant())
    try:
        yield sim
    finally:
        sim.stop()


def console_env(sim: SimulatorThread, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    env.update(
        {
            "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
            "ACME_MODE": "pipeline",
            "OPENAI_API_KEY": "sim",
            "DEEPGRAM_API_KEY": "sim",
            "CARTESIA_API_KEY": "sim",
            "ACME_OPENAI_BASE_URL": sim.openai_base_url,
            "ACME_LLM_BASE_URL": sim.openai_base_url,
            "ACME_DEEPGRAM_BASE_URL": sim.deepgram_base_url,
            "ACME_CARTESIA_BASE_URL": sim.cartesia_base_url,
            "ACME_STORE_URL": f"sqlite:///{tmp}/acme.db",
            "ACME_TRANSCRIPT_DIR": str(tmp / "transcripts"),
            "ACME_DRAIN_TIMEOUT": str(DRAIN_TIMEOUT_S),
            "LIVEKIT_LOG_LEVEL": "DEBUG",  # the most telling level
            "COLUMNS": "200",
        }
    )
    return env


def messages(records: list[dict[str, Any]], role: str) -> list[str]:
    return [r["text"] for r in records if r["type"] == "message" and r["role"] == role]


def test_sigterm_mid_call_keeps_every_finished_turn(
    simulator: SimulatorThread, tmp_path: Path
) -> None:
    env = console_env(simulator, tmp_path)
    with ConsoleProcess(
        env=env, transcripts=tmp_path / "transcripts", json_log=tmp_path / "log.jsonl"
    ) as console:
        console.wait_until("the greeting", lambda: bool(messages(console.records(), "assistant")))
        for n, (said, _tool) in enumerate(FINISHED_TURNS, start=1):
            console.type_line(said)
            if n < len(FINISHED_TURNS):
                console.wait_until(
                    f"answer {n}", lambda n=n: len(messages(console.records(), "assistant")) > n
                )
        # The last finished answer is awaited on screen only: on disk it may still be queued.
        console.wait_until("the address answer", lambda: "2140 Mission Street" in console.screen)

        # A turn still in progress when the signal comes: the model is slow to answer.
        simulator.simulator.latency.llm_ttft_s = 30.0
        console.type_line(IN_PROGRESS)
        console.wait_until(
            "the in-progress question", lambda: IN_PROGRESS in messages(console.records(), "user")
        )
        console.terminate()
        returncode = console.proc.wait(timeout=DRAIN_TIMEOUT_S)
        records = console.records()
        call_id = console.transcript_path().stem
        logs = console.log_lines()

    assert returncode == 0

    # Every finished turn, in order: the question, the tool call, the answer spoken from it.
    assert records[0]["type"] == "message" and records[0]["role"] == "assistant"  # greeting
    rest = records[1:]
    for said, tool in FINISHED_TURNS:
        user, call, answer = rest[:3]
        rest = rest[3:]
        assert (user["type"], user["role"], user["text"]) == ("message", "user", said)
        assert (call["type"], call["name"], call["is_error"]) == ("tool_call", tool, False)
        assert (answer["type"], answer["role"]) == ("message", "assistant")
        assert answer["text"] == call["output"] and not answer["interrupted"]
    assert [r["role"] for r in rest if r["type"] == "message"][:1] == ["user"]
    assert rest[0]["text"] == IN_PROGRESS
    assert "verified for order ACME-1042" in records[6]["text"]
    assert "2140 Mission Street" in records[9]["text"]

    # Our log lines all name the call; the call summary shows it closed cleanly.
    ours = [line for line in logs if line["name"].startswith("acme.")]
    assert ours, "no log line from the agent"
    for line in ours:
        assert (line.get("room"), line.get("call_id"), line.get("mode")) == (
            "console",
            call_id,
            "pipeline",
        ), line
    summary = [line for line in ours if line["message"] == "call summary"]
    assert len(summary) == 1 and summary[0]["user_turns"] == len(FINISHED_TURNS) + 1

    # At the production log level no line holds customer data, in its message or any field.
    for line in logs:
        text = json.dumps(line)
        assert not [d for d in CUSTOMER_DATA if d in text], line
