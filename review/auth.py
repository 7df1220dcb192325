"""Who may see call records: holders of the review token, which the login page exchanges for a
signed, expiring session cookie (scripts may send it as `Authorization: Bearer <token>`)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Middleware

COOKIE = "acme_review"
SESSION_S = 12 * 3600
PUBLIC_PATHS = frozenset({"/login"})
PUBLIC_PREFIXES = ("/static/",)
MIN_TOKEN_CHARS = 16

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Access:
    """Checks the token and the session cookies signed with a key derived from it; changing
    the token signs everyone out."""

    def __init__(self, token: str, *, clock: Callable[[], float] = time.time) -> None:
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"the review token needs at least {MIN_TOKEN_CHARS} characters")
        self._token = token.encode()
        self._key = hashlib.sha256(b"acme review session\0" + self._token).digest()
        self._clock = clock

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token)

    def new_session(self) -> str:
        expires = str(int(self._clock()) + SESSION_S)
        return f"{expires}.{self._sign(expires)}"

    def session_ok(self, cookie: str | None) -> bool:
        expires, _, signature = (cookie or "").partition(".")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._sign(expires)):
            return False
        return int(expires) > self._clock()

    def allows(self, request: web.Request) -> bool:
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer ") and self.token_ok(bearer.removeprefix("Bearer ")):
            return True
        return self.session_ok(request.cookies.get(COOKIE))

    def _sign(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()


def login_required(access: Access) -> Middleware:
    """Middleware: pages send strangers to the login page; anything else gets 401."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or access.allows(request):
            return await handler(request)
        if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
            raise web.HTTPSeeOther(f"/login?next={quote(str(request.rel_url), safe='')}")
        raise web.HTTPUnauthorized(text="sign in at /login or send Authorization: Bearer <token>")

    return middleware


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
