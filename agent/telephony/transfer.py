"""transfer_to_human: one sentence to the caller, then a cold transfer to Acme's support line."""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import RunContext, ToolError, function_tool
from livekit.agents.llm import Toolset

from agent.telephony.caller import CallerInfo
from agent.telephony.control import CallControl, speak

logger = logging.getLogger("acme.telephony")

TRANSFER_SENTENCE = "One moment please, I'm transferring you to a member of our support team."
TRANSFER_FAILED = (
    "I'm sorry, I couldn't reach a colleague just now. I'm still here and happy to keep "
    "helping: what can I do for you?"
)


class TransferTool(Toolset):
    """Offered only on phone calls, and only when a transfer target is configured."""

    def __init__(self, *, control: CallControl, caller: CallerInfo, transfer_to: str) -> None:
        super().__init__(id="transfer_to_human")
        self._control = control
        self._caller = caller
        self._transfer_to = transfer_to

    @function_tool
    async def transfer_to_human(self, context: RunContext[Any]) -> None:
        """Transfer the caller to a person on Acme's support team. You leave the call.

        Use it when the caller asks for a human, or when their problem is beyond your other
        tools. It tells the caller about the transfer itself, so say nothing before calling it.
        If the transfer fails, it says so and the call goes on with you.
        """
        await context.wait_for_playout()
        await speak(context.session, TRANSFER_SENTENCE)
        fields = self._caller.log_fields()
        try:
            await self._control.transfer(
                participant_identity=self._caller.identity, transfer_to=self._transfer_to
            )
        except Exception:
            logger.exception("call transfer failed", extra=fields)
            raise ToolError(TRANSFER_FAILED) from None
        logger.info("call transferred", extra=fields)
        # The caller has left for the support line: free the room and end this job.
        await self._control.hang_up()
