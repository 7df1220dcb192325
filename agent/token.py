"""Join tokens to talk to the agent from a browser: `python -m agent.token --room demo`."""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from livekit import api

from agent.settings import ConfigError, load_settings

PLAYGROUND_URL = "https://agents-playground.livekit.io"
MEET_CUSTOM_URL = "https://meet.livekit.io/custom"
MAX_TTL = timedelta(days=7)

_TTL_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_ttl(text: str) -> timedelta:
    """A lifetime like `1h`, `30m`, `90s`, `1h30m`, `2d` or plain seconds (`600`)."""
    spec = text.strip().lower()
    if spec.isdigit():
        seconds = int(spec)
    elif spec and _TTL_PART.sub("", spec) == "":
        seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _TTL_PART.findall(spec))
    else:
        raise ValueError(f"invalid ttl {text!r}: use e.g. 1h, 30m, 90s or 1h30m")
    ttl = timedelta(seconds=seconds)
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"invalid ttl {text!r}: must be more than 0 and at most 7d")
    return ttl


@dataclass(frozen=True, kw_only=True)
class JoinDetails:
    """What a browser needs to join `room` as `identity`, and where to paste it."""

    url: str
    token: str
    room: str
    identity: str
    expires_at: datetime
    agent_name: str

    @property
    def meet_link(self) -> str:
        """A one-click link: LiveKit Meet joins with this URL and token (microphone, speaker)."""
        return f"{MEET_CUSTOM_URL}?{urlencode({'liveKitUrl': self.url, 'token': self.token})}"


def join_token(
    *,
    api_key: str,
    api_secret: str,
    room: str,
    identity: str,
    ttl: timedelta,
    agent_name: str = "",
    name: str = "",
) -> str:
    """A signed token to join `room`; with `agent_name`, joining dispatches that agent."""
    grants = api.VideoGrants(
        room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
    )
    token = (
        api.AccessToken(api_key, api_secret)
        .with_identity(identity)
        .with_name(name or identity)
        .with_grants(grants)
        .with_ttl(ttl)
    )
    if agent_name:
        dispatch = api.RoomAgentDispatch(agent_name=agent_name)
        token = token.with_room_config(api.RoomConfiguration(agents=[dispatch]))
    return token.to_jwt()


def render(details: JoinDetails) -> str:
    """The text `python -m agent.token` prints."""
    dispatch = (
        f"{details.agent_name} (dispatched by this token)"
        if details.agent_name
        else "automatic (ACME_AGENT_NAME is empty: the worker joins every new room)"
    )
    return "\n".join(
        [
            f"room:     {details.room}",
            f"identity: {details.identity}",
            f"expires:  {details.expires_at.isoformat(timespec='seconds')}",
            f"agent:    {dispatch}",
            f"url:      {details.url}",
            f"token:    {details.token}",
            "",
            f"Agents playground: {PLAYGROUND_URL}  (Manual: paste the url and token)",
            f"One-click join:    {details.meet_link}",
        ]
    )


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m agent.token",
        description="Print a token and links to join a room and talk to the agent.",
    )
    parser.add_argument("--room", default="demo", help="room to join (default: demo)")
    parser.add_argument("--identity", default="", help="participant identity (default: random)")
    parser.add_argument("--name", default="", help="display name (default: the identity)")
    parser.add_argument("--ttl", default="1h", help="token lifetime, e.g. 1h, 30m (default: 1h)")
    parser.add_argument(
        "--agent",
        default=None,
        metavar="NAME",
        help="agent to dispatch (default: ACME_AGENT_NAME; empty: none, automatic dispatch)",
    )
    return parser.parse_args(argv)


def build(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None) -> JoinDetails:
    """Join details from the command line and settings; raises ConfigError or ValueError."""
    settings = load_settings(environ=environ, require_keys=False)
    url = settings.livekit.url
    key, secret = settings.secrets.livekit_api_key, settings.secrets.livekit_api_secret
    missing = [
        var
        for var, value in (
            ("LIVEKIT_URL", url),
            ("LIVEKIT_API_KEY", key),
            ("LIVEKIT_API_SECRET", secret),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"{', '.join(missing)} required (see .env.example)")
    if not args.room.strip():
        raise ValueError("--room must not be empty")
    ttl = parse_ttl(args.ttl)
    identity = args.identity or f"caller-{secrets.token_hex(3)}"
    agent_name = settings.agent.name if args.agent is None else args.agent
    token = join_token(
        api_key=key,
        api_secret=secret,
        room=args.room,
        identity=identity,
        ttl=ttl,
        agent_name=agent_name,
        name=args.name,
    )
    return JoinDetails(
        url=url,
        token=token,
        room=args.room,
        identity=identity,
        expires_at=datetime.now(UTC).replace(microsecond=0) + ttl,
        agent_name=agent_name,
    )


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        details = build(args, environ=environ)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render(details))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
