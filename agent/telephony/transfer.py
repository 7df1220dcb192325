"""transfer_to_human: one sentence to the caller, then a cold transfer to Acme's support line."""

from __future__ import annotations

import logging
from typing import Any

from livekit import api
from livekit.agents import JobContext, RunContext, ToolError, function_tool
from livekit.agents.llm import Toolset

from agent.say import say
from agent.telephony.caller import CallerInfo

logger = logging.getLogger("acme.telephony")

TRANSFER_SENTENCE = "One moment please, I'm transferring you to a member of our support team."
TRANSFER_FAILED = (
    "I'm sorry, I couldn't reach a colleague just now. I'm still here and happy to keep "
    "helping: what can I do for you?"
)


class TransferTool(Toolset):
    """Offered only on phone calls, and only when a transfer target is configured."""

    def __init__(self, *, job: JobContext, caller: CallerInfo, transfer_to: str) -> None:
        super().__init__(id="transfer_to_human")
        self._job = job
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
        await say(context.session, TRANSFER_SENTENCE)
        fields = self._caller.log_fields()
        try:
            outcome = await self._job.transfer_sip_participant(
                self._caller.identity, self._transfer_to, play_dialtone=False
            )
        except Exception:
            logger.exception("call transfer failed", extra=fields)
            raise ToolError(TRANSFER_FAILED) from None
        if outcome.status == api.SIPTransferStatus.STS_TRANSFER_FAILED:
            reason = api.SIPTransferReason.Name(outcome.reason)
            logger.error("call transfer failed", extra={**fields, "reason": reason})
            raise ToolError(TRANSFER_FAILED)
        logger.info("call transferred", extra=fields)
        # The caller has left for the support line: free the room and end this job.
        await self._job.delete_room()
        self._job.shutdown(reason="caller transferred")
