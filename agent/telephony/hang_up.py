"""end_call: the agent says goodbye, waits for it to play out, then hangs up the phone call.

Not the framework's `beta.tools.EndCallTool`: in 1.8.9 it deletes the room from a job-shutdown
callback through `JobContext.delete_room()`, which a fake job turns into a no-op. This tool
goes through the same `CallControl` as transfers, so the request it makes is testable.
"""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import RunContext, function_tool
from livekit.agents.llm import Toolset

from agent.telephony.caller import CallerInfo
from agent.telephony.control import CallControl, speak

logger = logging.getLogger("acme.telephony")

GOODBYE = "Thank you for calling Acme. Goodbye!"


class HangUpTool(Toolset):
    """Offered on phone calls: ends the call for everyone once the caller is done."""

    def __init__(self, *, control: CallControl, caller: CallerInfo) -> None:
        super().__init__(id="end_call")
        self._control = control
        self._caller = caller

    @function_tool
    async def end_call(self, context: RunContext[Any]) -> None:
        """Say goodbye and hang up the phone call.

        Use it when the caller says they are done, for example "that's all, thanks, bye".
        Not when they ask you to wait, hold or transfer them, and not when unsure. It says
        goodbye itself, so do not say goodbye before calling it.
        """
        await context.wait_for_playout()
        await speak(context.session, GOODBYE)
        logger.info("agent hung up", extra=self._caller.log_fields())
        await self._control.hang_up()
        context.session.shutdown()
