"""A call's records: the spool on disk (crash-safe) and their shipping to the database (fast)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from agent.behaviors.state import StateTimes
from agent.behaviors.usage import CallStats
from agent.records.shipper import RecordShipper
from agent.records.summary import header_record, summary_record
from agent.records.sweeper import mark_shipped
from agent.transcript_sink import TranscriptSink
from tools.call_records import CallRecordStore

logger = logging.getLogger("acme.records")


@dataclass(kw_only=True)
class CallRecorder:
    """Every record goes to the spool and, in the same order, to the database.

    `begin()` writes the call's header when it starts; `finish()` writes its summary, closes
    the spool, gives the database `ship_timeout` seconds to take the rest, and marks the
    spool shipped when it did (otherwise the worker's spool sweeper ships it later).
    """

    call_id: str
    sink: TranscriptSink
    shipper: RecordShipper
    store: CallRecordStore
    ship_timeout: float
    caller: dict[str, Any] = field(default_factory=dict)
    """Header fields: mode, caller, sip_call_id, room."""
    started: bool = False

    @classmethod
    def create(
        cls,
        *,
        call_id: str,
        sink: TranscriptSink,
        store: CallRecordStore,
        ship_timeout: float,
        **caller: Any,
    ) -> CallRecorder:
        """Wire `sink` to forward every record to a shipper for `store`."""
        shipper = RecordShipper(store=store, call_id=call_id)
        sink.forward = shipper.add
        return cls(
            call_id=call_id, sink=sink, shipper=shipper, store=store,
            ship_timeout=ship_timeout, caller=caller,
        )  # fmt: skip

    def begin(self) -> None:
        if not self.started:
            self.started = True
            self.sink.write(header_record(call_id=self.call_id, **self.caller))

    async def finish(self, *, stats: CallStats, times: StateTimes, shutdown_reason: str) -> None:
        try:
            if self.started:
                said = list(self.shipper.records)
                reason = shutdown_reason
                self.sink.write(
                    summary_record(said, stats=stats, times=times, shutdown_reason=reason)
                )
            await self.sink.aclose()
            if self.started and await self.shipper.drain(self.ship_timeout):
                try:
                    await asyncio.to_thread(mark_shipped, self.sink.path)
                except OSError:
                    logger.warning("spool not marked shipped", extra={"call_id": self.call_id})
        finally:
            await self.store.close()
