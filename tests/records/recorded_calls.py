"""Text calls of the real agent and tools, recorded as the worker records calls: the spool, the
shipper, the call record store. For tests that need records of real tool calls, fast."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from livekit.agents import AgentSession

from agent.acme_agent import CallState
from agent.behaviors.state import StateTimes, log_state_changes
from agent.behaviors.transcripts import record_transcript
from agent.behaviors.usage import CallStats, report_usage
from agent.records.recorder import CallRecorder
from agent.settings import load_settings
from agent.transcript_sink import TranscriptSink
from tests.resilience.text_calls import text_call
from tests.scripted_llm import Call, Rule
from tools.call_records import CallRecordStore
from tools.store import OrderStore

RULES: list[Rule] = [
    (r"where is (\S+)", lambda m: Call("lookup_order", {"order_id": m[1]})),
    (r"details of (\S+)", lambda m: Call("get_order_details", {"order_id": m[1]})),
    (
        r"verify (\S+) with zip (\d+)",
        lambda m: Call("verify_caller", {"order_id": m[1], "zip_code": m[2]}),
    ),
]


@dataclass(frozen=True, kw_only=True)
class RecordedCall:
    session: AgentSession[CallState]
    recorder: CallRecorder
    spool: Path


@contextlib.asynccontextmanager
async def recorded_text_call(
    *,
    orders: OrderStore,
    records: CallRecordStore,
    spools: Path,
    call_id: str,
    ship_timeout: float = 10.0,
) -> AsyncIterator[RecordedCall]:
    """A started text call whose records go to `records`; finished (summary, drain) on exit."""
    sink = TranscriptSink(directory=spools, call_id=call_id)
    recorder = CallRecorder.create(
        call_id=call_id, sink=sink, store=records, ship_timeout=ship_timeout,
        mode="pipeline", caller="web", room=call_id,
    )  # fmt: skip
    stats, times = CallStats(), StateTimes()
    recorder.begin()
    # the call's own state, so the security audit trail names this call
    state = CallState.for_call(
        load_settings(environ={}, require_keys=False), store=orders, call_id=call_id
    )
    async with text_call(orders, RULES, state=state) as session:
        record_transcript(session, sink)
        log_state_changes(session, times)
        report_usage(session, stats, times=times)
        yield RecordedCall(session=session, recorder=recorder, spool=sink.path)
    await recorder.finish(stats=stats, times=times, shutdown_reason="")
