"""Caller ID from SIP participant attributes: present, missing, malformed, and made E.164."""

from __future__ import annotations

import pytest
from livekit import rtc
from livekit.rtc._proto import handle_pb2, participant_pb2

from agent.telephony.caller import CallerInfo, parse_caller, sip_caller
from agent.telephony.numbers import normalize_e164, transfer_uri

pytestmark = pytest.mark.unit

JORDAN = "+14155550142"


def participant(
    *, kind: rtc.ParticipantKind.ValueType, identity: str, attributes: dict[str, str]
) -> rtc.RemoteParticipant:
    info = participant_pb2.ParticipantInfo(identity=identity, kind=kind, attributes=attributes)
    owned = participant_pb2.OwnedParticipant(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)
    return rtc.RemoteParticipant(owned)


@pytest.mark.parametrize(
    "raw",
    [
        "+14155550142",
        "(415) 555-0142",
        "+1 415 555 0142",
        "4155550142",
        "1-415-555-0142",
        "415.555.0142",
        "tel:+14155550142",
        "sip:+14155550142@pstn.example.com;user=phone",
        "001 415 555 0142",
        "  +1 (415) 555-0142  ",
    ],
)
def test_north_american_forms_become_e164(raw: str) -> None:
    assert normalize_e164(raw) == JORDAN


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+44 20 7946 0958", "+442079460958"), ("0049 30 901820", "+4930901820")],
)
def test_international_numbers_keep_their_country(raw: str, expected: str) -> None:
    assert normalize_e164(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "anonymous",
        "Restricted",
        "sip:anonymous@anonymous.invalid",
        "555-0142",  # seven digits: no area code
        "0155550142",  # area codes never start with 0 or 1
        "+0 415 555 0142",
        "+1234567",  # too short for E.164
        "+1234567890123456",  # 16 digits: too long
        "+1 415 555 014x",
        "+1 415 555 0142 ext 7",
        "4155550142" * 10,
        "\uff14\uff11\uff15\uff15\uff15\uff15\uff10\uff11\uff14\uff12",  # full-width digits
        12,
    ],
)
def test_missing_or_malformed_numbers_are_none(raw: object) -> None:
    assert normalize_e164(raw) is None


def test_all_attributes_present() -> None:
    caller = parse_caller(
        {
            "sip.phoneNumber": "+14155550142",
            "sip.trunkPhoneNumber": "+15105550100",
            "sip.callID": "SCL_abc123",
            "sip.callStatus": "active",
        },
        identity="sip_+14155550142",
    )
    assert caller == CallerInfo(
        identity="sip_+14155550142",
        phone_number=JORDAN,
        trunk_phone_number="+15105550100",
        call_id="SCL_abc123",
    )


def test_missing_attributes_give_none() -> None:
    caller = parse_caller({}, identity="sip_anonymous")
    assert caller.phone_number is None
    assert caller.trunk_phone_number is None
    assert caller.call_id is None
    assert caller.identity == "sip_anonymous"


def test_malformed_number_is_withheld_not_guessed() -> None:
    caller = parse_caller(
        {"sip.phoneNumber": "anonymous", "sip.callID": "  "}, identity="sip_anonymous"
    )
    assert caller.phone_number is None
    assert caller.call_id is None


def test_numbers_stay_out_of_repr_and_log_fields() -> None:
    caller = parse_caller(
        {"sip.phoneNumber": "(415) 555-0142", "sip.callID": "SCL_1"}, identity="sip_4155550142"
    )
    assert caller.phone_number == JORDAN
    for text in (repr(caller), str(caller.log_fields())):
        assert "4155550142" not in text and "555" not in text
    assert caller.log_fields() == {"sip_call_id": "SCL_1", "caller_id_present": True}


def test_sip_participant_is_a_caller() -> None:
    p = participant(
        kind=rtc.ParticipantKind.PARTICIPANT_KIND_SIP,
        identity="sip_+14155550142",
        attributes={"sip.phoneNumber": "+1 415 555 0142", "sip.callID": "SCL_9"},
    )
    caller = sip_caller(p)
    assert caller is not None
    assert (caller.identity, caller.phone_number, caller.call_id) == (p.identity, JORDAN, "SCL_9")


def test_browser_participant_is_not_a_phone_caller() -> None:
    p = participant(
        kind=rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD,
        identity="web-user",
        attributes={"sip.phoneNumber": JORDAN},  # an attribute alone does not make a phone call
    )
    assert sip_caller(p) is None


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("", ""),
        ("+1 (510) 555-0100", "tel:+15105550100"),
        ("tel:+15105550100", "tel:+15105550100"),
        ("sip:desk@pbx.example.com", "sip:desk@pbx.example.com"),
    ],
)
def test_transfer_targets(configured: str, expected: str) -> None:
    assert transfer_uri(configured) == expected


def test_bad_transfer_target_is_refused() -> None:
    with pytest.raises(ValueError, match="phone number"):
        transfer_uri("the front desk")
