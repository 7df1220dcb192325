"""Recognize a phone caller by caller ID before the greeting, so they are greeted by name and
"where's my order?" is answered from what the agent already knows, without a lookup."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from string import Template

from agent.prompts import load_prompt
from agent.telephony.caller import CallerInfo
from tools import speech
from tools.support import CallerVerification, SupportDesk

logger = logging.getLogger("acme.telephony")

PHONE_PROMPT = "phone"
KNOWN_CALLER_PROMPT = "known_caller"
KNOWN_CALLER_GREETING = "greeting_known_caller"


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome:
    """What the agent starts a phone call with."""

    instructions: str
    greeting: str
    customer_id: int | None = None  # set when caller ID matched an account

    @property
    def recognized(self) -> bool:
        return self.customer_id is not None


async def welcome_caller(
    *,
    desk: SupportDesk,
    verification: CallerVerification,
    caller: CallerInfo,
    instructions: str,
    greeting: str,
    step_timeout: float = 2.0,
    trust_caller_id: bool = True,
) -> Welcome:
    """Phone instructions, plus the caller's name and open orders when caller ID matches.

    Each store call gets `step_timeout` seconds. A match verifies the caller by phone
    (`verification` is updated). No caller ID, no match, a slow or failing store: the normal
    greeting, and the email/ZIP verification path.
    """
    phone_instructions = f"{instructions}\n\n{load_prompt(PHONE_PROMPT)}"
    unknown = Welcome(instructions=phone_instructions, greeting=greeting)
    if not trust_caller_id:
        logger.info("caller ID not trusted by configuration", extra=caller.log_fields())
        return unknown
    if caller.phone_number is None:
        logger.info("phone caller without caller ID", extra=caller.log_fields())
        return unknown
    try:
        async with asyncio.timeout(step_timeout):
            customer = await desk.verify_by_phone(verification, caller.phone_number)
    except Exception:
        logger.warning("caller lookup failed", exc_info=True, extra=caller.log_fields())
        return unknown
    if customer is None:
        logger.info("caller not recognized", extra=caller.log_fields())
        return unknown
    try:
        async with asyncio.timeout(step_timeout):
            summary = await desk.open_orders_summary(customer.id)
    except Exception:
        logger.warning("open orders unavailable", exc_info=True, extra=caller.log_fields())
        summary = f"The caller is {customer.name}."
    logger.info("caller recognized", extra={**caller.log_fields(), "customer_id": customer.id})
    known = Template(load_prompt(KNOWN_CALLER_PROMPT)).substitute(summary=summary)
    welcome = Template(load_prompt(KNOWN_CALLER_GREETING))
    return Welcome(
        instructions=f"{phone_instructions}\n\n{known}",
        greeting=welcome.substitute(first_name=speech.first_name(customer.name)),
        customer_id=customer.id,
    )
