"""Access tokens as the LiveKit server checks them: signature, expiry, join and admin grants."""

from __future__ import annotations

import secrets
import string

import jwt
from livekit import api
from livekit.protocol import models

_ALPHABET = string.ascii_letters + string.digits

KINDS: dict[str, models.ParticipantInfo.Kind] = {
    "": models.ParticipantInfo.Kind.STANDARD,
    "standard": models.ParticipantInfo.Kind.STANDARD,
    "ingress": models.ParticipantInfo.Kind.INGRESS,
    "egress": models.ParticipantInfo.Kind.EGRESS,
    "sip": models.ParticipantInfo.Kind.SIP,
    "agent": models.ParticipantInfo.Kind.AGENT,
}


def new_sid(prefix: str) -> str:
    """An id in LiveKit's form: `PA_`, `TR_`, `RM_`, `AJ_`, `AW_`, `AD_` and 12 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(12))


class AuthError(Exception):
    """A request the server refuses: `status` is the HTTP status it answers with."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class Credentials:
    """One API key and secret pair, as a server configured with `--keys KEY: SECRET` holds."""

    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self._verifier = api.TokenVerifier(api_key, api_secret)

    def verify(self, token: str | None) -> api.access_token.Claims:
        """The token's claims; AuthError for a missing, forged, foreign or expired token."""
        if not token:
            raise AuthError("no permissions to access the room: missing access token")
        try:
            return self._verifier.verify(token)
        except jwt.ExpiredSignatureError:
            raise AuthError("invalid token: token is expired") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None

    def join_claims(self, token: str | None) -> tuple[api.access_token.Claims, str]:
        """Claims and room name of a token allowed to join a room."""
        claims = self.verify(token)
        video = claims.video
        if video is None or not video.room_join:
            raise AuthError("permission denied: token does not grant roomJoin")
        if not claims.identity:
            raise AuthError("participant identity cannot be empty", status=400)
        if not video.room:
            raise AuthError("room name cannot be empty", status=400)
        return claims, video.room

    def admin_claims(self, token: str | None, *, room: str) -> api.access_token.Claims:
        """Claims of a token that administers `room` (roomAdmin for that room)."""
        claims = self.verify(token)
        video = claims.video
        if video is None or not video.room_admin or video.room != room:
            raise AuthError(
                f"permission denied: token does not grant roomAdmin on {room!r}", status=403
            )
        return claims

    def create_claims(self, token: str | None) -> api.access_token.Claims:
        claims = self.verify(token)
        if claims.video is None or not claims.video.room_create:
            raise AuthError("permission denied: token does not grant roomCreate", status=403)
        return claims

    def agent_claims(self, token: str | None) -> api.access_token.Claims:
        claims = self.verify(token)
        if claims.video is None or not claims.video.agent:
            raise AuthError("permission denied: token does not grant agent", status=403)
        return claims

    def sip_call_claims(self, token: str | None, *, room: str) -> api.access_token.Claims:
        claims = self.admin_claims(token, room=room)
        if claims.sip is None or not claims.sip.call:
            raise AuthError("permission denied: token does not grant SIP call", status=403)
        return claims

    def participant_kind(self, claims: api.access_token.Claims) -> models.ParticipantInfo.Kind:
        return KINDS.get(claims.kind, models.ParticipantInfo.Kind.STANDARD)
