"""Stand-ins for what only a LiveKit server provides: a named room and SIP participants."""

from __future__ import annotations

from livekit import rtc
from livekit.rtc._proto import handle_pb2, participant_pb2

ROOM_NAME = "call-_+14155550142_x7Kq2"
JORDAN_NUMBER = "+14155550142"
JORDAN_IDENTITY = "sip_+14155550142"


class NamedRoom(rtc.Room):
    """An unconnected room with the name a dispatch rule would give it."""

    def __init__(self, name: str = ROOM_NAME) -> None:
        super().__init__()
        self._fixed_name = name

    @property
    def name(self) -> str:
        return self._fixed_name


def remote_participant(
    *,
    identity: str,
    kind: rtc.ParticipantKind.ValueType = rtc.ParticipantKind.PARTICIPANT_KIND_SIP,
    attributes: dict[str, str] | None = None,
) -> rtc.RemoteParticipant:
    info = participant_pb2.ParticipantInfo(
        identity=identity,
        kind=kind,
        attributes=attributes or {},
        state=rtc.ParticipantState.PARTICIPANT_STATE_ACTIVE,
    )
    owned = participant_pb2.OwnedParticipant(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)
    return rtc.RemoteParticipant(owned)


def sip_participant(
    number: str | None = JORDAN_NUMBER, *, identity: str = JORDAN_IDENTITY
) -> rtc.RemoteParticipant:
    attributes = {"sip.callID": "SCL_test1", "sip.trunkPhoneNumber": "+15105550100"}
    if number is not None:
        attributes["sip.phoneNumber"] = number
    return remote_participant(identity=identity, attributes=attributes)
