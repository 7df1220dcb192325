"""Keypad entry: a phone caller types an order number, ends it with #, and the agent gets it.

Not `beta.workflows.GetDtmfTask`: it collects a fixed number of digits, and order numbers have
four to seven. The keyed digits become an ordinary user turn ("My order number, typed on the
keypad, is ACME-1042."), so the model carries on with its normal tools: a lookup, a return...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from livekit import rtc
from livekit.agents import AgentSession
from livekit.agents.types import NOT_GIVEN, NotGivenOr

from agent.telephony.caller import CallerInfo
from tools.errors import SupportError
from tools.order_ids import normalize_digits

logger = logging.getLogger("acme.telephony")

FINISH = "#"
CLEAR = "*"
MAX_KEYS = 20
KEYED_ORDER = "My order number, typed on the keypad, is {order_id}."
NOT_AN_ORDER = (
    "The caller typed something on the keypad that is not an order number ({problem}). "
    "Ask them to type the order number again, digits only, then press the pound key."
)


class KeypadEntry:
    """Listens to the caller's DTMF tones on the room; `#` (or a pause) submits the digits."""

    def __init__(
        self, *, session: AgentSession[Any], caller: CallerInfo, timeout: float = 5.0
    ) -> None:
        self._session = session
        self._caller = caller
        self._timeout = timeout
        self._keys: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._room: rtc.Room | None = None

    def attach(self, room: rtc.Room) -> None:
        self._room = room
        room.on("sip_dtmf_received", self.on_dtmf)

    async def aclose(self) -> None:
        if self._room is not None:
            self._room.off("sip_dtmf_received", self.on_dtmf)
            self._room = None
        self._cancel_timer()
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def on_dtmf(self, ev: rtc.SipDTMF) -> None:
        if ev.participant is None or ev.participant.identity != self._caller.identity:
            return
        key = ev.digit
        if key == FINISH:
            self._submit()
        elif key == CLEAR:
            self._keys.clear()
            self._cancel_timer()
        elif len(key) == 1 and key.isdigit() and len(self._keys) < MAX_KEYS:
            self._keys.append(key)
            self._cancel_timer()
            self._timer = asyncio.get_running_loop().call_later(self._timeout, self._submit)

    def _submit(self) -> None:
        self._cancel_timer()
        keyed, self._keys = "".join(self._keys), []
        if not keyed:
            return
        try:
            order_id = normalize_digits(keyed)
        except SupportError as exc:
            logger.info("keypad entry rejected", extra={"keys": len(keyed)})
            reply = self._reply(instructions=NOT_AN_ORDER.format(problem=str(exc)))
        else:
            logger.info("order number keyed", extra={"order_id": order_id})
            reply = self._reply(user_input=KEYED_ORDER.format(order_id=order_id))
        task = asyncio.create_task(reply, name="keypad_reply")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(
        self, *, user_input: NotGivenOr[str] = NOT_GIVEN, instructions: NotGivenOr[str] = NOT_GIVEN
    ) -> None:
        """Stop what the agent is saying, then answer the keyed entry."""
        with contextlib.suppress(RuntimeError):  # nothing to interrupt, or not interruptible
            await self._session.interrupt()
        try:
            self._session.generate_reply(user_input=user_input, instructions=instructions)
        except RuntimeError:  # keyed before the session started, or after it closed
            logger.warning("keypad entry while the agent is not running", exc_info=True)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
