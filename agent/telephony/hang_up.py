"""end_call: the framework's EndCallTool, told how Acme says goodbye and kept off the greeting.

It lets the goodbye play out (a Realtime model's reply too), then ends the session, deletes the
room (which hangs up the phone caller; a room already gone is fine) and ends the job.
"""

from __future__ import annotations

import logging

from livekit.agents.beta.tools import EndCallTool
from livekit.agents.llm import Toolset

from agent.telephony.caller import CallerInfo

logger = logging.getLogger("acme.telephony")

GOODBYE = "Thank you for calling Acme. Goodbye!"
"""The tool's output: the model reads it out as the goodbye."""


def hang_up_tool(caller: CallerInfo) -> Toolset:
    """Offered on phone calls: ends the call for everyone once the caller is done."""

    async def on_called(ev: Toolset.ToolCalledEvent) -> None:
        logger.info("agent hung up", extra=caller.log_fields())

    return EndCallTool(
        extra_description="It says goodbye itself: do not say goodbye before calling it.",
        end_instructions=GOODBYE,
        ignore_on_enter=True,
        on_tool_called=on_called,
    )
