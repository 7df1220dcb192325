"""The review page refuses whoever has not signed in with the token, and serves who has."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from review.auth import COOKIE, Access
from tests.records.review_server import TOKEN, review_page
from tests.records.spools import T0, header, message, summary
from tools.call_records import open_call_records

pytestmark = pytest.mark.unit

SECRET = "Where is order ACME-1042? My ZIP is 94110."
HTML = {"Accept": "text/html"}


@pytest.fixture
async def base(tmp_path: Path) -> str:  # type: ignore[misc]
    url = f"sqlite:///{tmp_path / 'acme.db'}"
    store = open_call_records(url)
    records = [header("call-7", at=T0), message(1, "user", SECRET, T0 + 1)]
    await store.add("call-7", [*records, summary(records, ended_at=T0 + 4)])
    await store.close()
    async with review_page(url) as base_url:
        yield base_url


async def test_strangers_are_refused_everything_but_the_login_page(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/calls/call-7", "/?order=ACME-1042"):
            async with http.get(base + path, allow_redirects=False) as r:
                assert r.status == 401
                assert SECRET not in await r.text()
            async with http.get(base + path, headers=HTML, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"].startswith("/login?next=")
        async with http.get(base + "/", headers={"Authorization": "Bearer wrong-token"}) as r:
            assert r.status == 401
        async with http.post(base + "/login", data={"token": "wrong", "next": "/"}) as r:
            assert r.status == 401 and COOKIE not in r.cookies
        forged = Access("another-token-of-enough-length").new_session()
        async with http.get(base + "/", cookies={COOKIE: forged}, allow_redirects=False) as r:
            assert r.status == 401
        expired = Access(TOKEN, clock=lambda: T0).new_session()
        async with http.get(base + "/", cookies={COOKIE: expired}, allow_redirects=False) as r:
            assert r.status == 401
        async with http.get(base + "/login") as r:
            assert r.status == 200 and "Access token" in await r.text()
        async with http.get(base + "/static/chart.umd.min.js") as r:
            assert r.status == 200 and "Chart.js v4" in await r.text()


async def test_the_token_signs_in_and_the_session_cookie_is_guarded(base: str) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        form = {"token": TOKEN, "next": "//elsewhere.example/steal"}
        async with http.post(base + "/login", data=form, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/"  # never off-site
            cookie = r.cookies[COOKIE]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(base + "/calls/call-7") as r:
            assert r.status == 200 and SECRET in await r.text()
            assert r.headers["Cache-Control"] == "no-store"
        async with http.get(base + "/calls/no-such-call") as r:
            assert r.status == 404
        async with http.post(base + "/logout", allow_redirects=False) as r:
            assert r.status == 303
        async with http.get(base + "/calls/call-7", allow_redirects=False) as r:
            assert r.status == 401
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        async with http.get(base + "/?order=1042") as r:
            assert r.status == 200 and 'data-call-id="call-7"' in await r.text()
        async with http.get(base + "/?date=yesterday") as r:
            assert r.status == 400 and "Dates look like" in await r.text()
