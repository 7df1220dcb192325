"""Who is calling: a SIP participant's caller ID and call attributes as a small frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from livekit import rtc

from agent.telephony.numbers import normalize_e164

PHONE_NUMBER = "sip.phoneNumber"
TRUNK_PHONE_NUMBER = "sip.trunkPhoneNumber"
CALL_ID = "sip.callID"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerInfo:
    """A phone caller. Numbers (SIP identities hold one too) stay out of repr(): log
    `log_fields()` instead.

    `phone_number` is whatever the caller's carrier (or a SIP provider the caller controls)
    put in the call: it identifies an account, it never proves who is calling (SECURITY.md).
    """

    identity: str = field(repr=False)
    phone_number: str | None = field(default=None, repr=False)  # E.164, None if withheld
    trunk_phone_number: str | None = field(default=None, repr=False)  # the number dialled
    call_id: str | None = None

    def log_fields(self) -> dict[str, Any]:
        """Structured log fields that identify the call without the caller's number."""
        return {"sip_call_id": self.call_id, "caller_id_present": self.phone_number is not None}


def parse_caller(attributes: Mapping[str, str], *, identity: str) -> CallerInfo:
    """Read a SIP participant's attributes; a missing or malformed number becomes None."""
    call_id = attributes.get(CALL_ID)
    return CallerInfo(
        identity=identity,
        phone_number=normalize_e164(attributes.get(PHONE_NUMBER)),
        trunk_phone_number=normalize_e164(attributes.get(TRUNK_PHONE_NUMBER)),
        call_id=(call_id.strip() or None) if isinstance(call_id, str) else None,
    )


def sip_caller(participant: rtc.Participant) -> CallerInfo | None:
    """The caller behind a SIP participant; None for browser and console participants."""
    if participant.kind != rtc.ParticipantKind.PARTICIPANT_KIND_SIP:
        return None
    attributes = participant.attributes
    return parse_caller(
        attributes if isinstance(attributes, Mapping) else {}, identity=participant.identity
    )
