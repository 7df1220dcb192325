"""Transfer and hang up a phone call through the LiveKit server API, the one seam tests replace.

`JobContext.transfer_sip_participant()` and `JobContext.delete_room()` do nothing in a fake job
(console mode, tests), so the requests go straight to `JobContext.api`: the same path runs
everywhere, and tests put a recording stand-in in place of the API client.
"""

from __future__ import annotations

import logging
from typing import Any

from livekit import api
from livekit.agents import AgentSession, JobContext

logger = logging.getLogger("acme.telephony")


class CallControl:
    """The server-side actions on the current call's room."""

    def __init__(self, *, job: JobContext) -> None:
        self._job = job

    @property
    def room_name(self) -> str:
        return self._job.room.name

    async def transfer(self, *, participant_identity: str, transfer_to: str) -> None:
        """Cold-transfer a SIP participant to `transfer_to` (a tel: or sip: URI).

        Raises whatever the API raises: the caller decides what the caller hears.
        """
        request = api.TransferSIPParticipantRequest(
            room_name=self.room_name,
            participant_identity=participant_identity,
            transfer_to=transfer_to,
            play_dialtone=False,
        )
        await self._job.api.sip.transfer_sip_participant(request)

    async def hang_up(self) -> None:
        """Delete the room, which disconnects everyone in it, the phone caller included.

        If the server refuses, the agent still leaves: the job shuts down.
        """
        try:
            await self._job.api.room.delete_room(api.DeleteRoomRequest(room=self.room_name))
        except Exception:
            logger.exception("room deletion failed; leaving the call", extra=self._fields())
            self._job.shutdown(reason="hang-up without room deletion")

    def _fields(self) -> dict[str, Any]:
        return {"room": self.room_name}


async def speak(session: AgentSession[Any], text: str) -> None:
    """Say a fixed sentence and wait until it has played out.

    With a speech-to-speech model and no TTS, `say()` is unavailable, so the model reads it.
    """
    try:
        handle = session.say(text)
    except RuntimeError:
        handle = session.generate_reply(
            instructions=f"Say exactly this sentence and nothing else: {text}"
        )
    await handle
