"""Recognize a phone caller by caller ID before the greeting.

Caller ID identifies, it does not authenticate (SECURITY.md): a number matching an account
fetches that customer's orders, so once the caller gives one more detail (the ZIP code, say)
"where's my order?" is answered without a lookup; until then nothing personal is said and the
greeting names no one. Only where the operator trusts caller ID (`telephony.trust_caller_id`)
does a match verify the caller, who is then greeted by name with their orders in context.
"""

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
    verified: bool = False  # caller ID trusted: the match verified the caller

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
    trust_caller_id: bool = False,
) -> Welcome:
    """Phone instructions; the caller's account and orders fetched when caller ID matches.

    Each store step gets `step_timeout` seconds. No caller ID, no match, a slow or failing
    store: the normal greeting, and verification by the details the caller gives.
    """
    phone_instructions = f"{instructions}\n\n{load_prompt(PHONE_PROMPT)}"
    unknown = Welcome(instructions=phone_instructions, greeting=greeting)
    if caller.phone_number is None:
        logger.info("phone caller without caller ID", extra=caller.log_fields())
        return unknown
    try:
        async with asyncio.timeout(step_timeout):
            known = await desk.identify_caller(verification, caller.phone_number)
    except Exception:
        logger.warning("caller lookup failed", exc_info=True, extra=caller.log_fields())
        return unknown
    if known is None:
        logger.info("caller not recognized", extra=caller.log_fields())
        return unknown
    fields = {**caller.log_fields(), "customer_id": known.customer.id}
    recognized = Welcome(
        instructions=phone_instructions, greeting=greeting, customer_id=known.customer.id
    )
    if not trust_caller_id:
        logger.info("caller identified by caller ID, not verified", extra=fields)
        return recognized
    try:
        async with asyncio.timeout(step_timeout):
            summary = await desk.trust_caller_id(verification)
    except Exception:
        logger.warning("caller verification by caller ID failed", exc_info=True, extra=fields)
        return recognized
    if summary is None:
        return recognized
    logger.info("caller recognized", extra=fields)
    known_prompt = Template(load_prompt(KNOWN_CALLER_PROMPT)).substitute(summary=summary)
    welcome = Template(load_prompt(KNOWN_CALLER_GREETING))
    return Welcome(
        instructions=f"{phone_instructions}\n\n{known_prompt}",
        greeting=welcome.substitute(first_name=speech.first_name(known.customer.name)),
        customer_id=known.customer.id,
        verified=True,
    )
