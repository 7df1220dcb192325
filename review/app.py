"""The review web app: routes, templates and the login guard, over a call record store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from review import views
from review.auth import COOKIE, SESSION_S, Access, login_required, safe_next
from tools.call_records import IN_PROGRESS, OUTCOMES, CallRecordStore
from tools.errors import StoreUnavailable

HERE = Path(__file__).resolve().parent
STORE = web.AppKey("store", CallRecordStore)
ACCESS = web.AppKey("access", Access)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
RETENTION = web.AppKey("retention_days", int)


def build_app(*, store: CallRecordStore, token: str, retention_days: int = 0) -> web.Application:
    """The app; the store is the caller's to close. Raises ValueError for a short token."""
    access = Access(token)
    app = web.Application(middlewares=[login_required(access)])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(clock=views.clock, duration=views.duration, offset=views.offset)
    app[STORE], app[ACCESS], app[TEMPLATES], app[RETENTION] = store, access, env, retention_days
    app.add_routes(
        [
            web.get("/login", login_page),
            web.post("/login", login),
            web.post("/logout", logout),
            web.get("/", call_list),
            web.get("/calls/{call_id}", call_page),
            web.static("/static", HERE / "static"),
        ]
    )
    return app


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    html = request.app[TEMPLATES].get_template(template).render(**context)
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"  # customer data stays out of caches
    return response


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", next=safe_next(request.query.get("next")), failed=False)


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    target = safe_next(str(form.get("next", "")))
    if not request.app[ACCESS].token_ok(str(form.get("token", ""))):
        return render(request, "login.html", status=401, next=target, failed=True)
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        COOKIE, request.app[ACCESS].new_session(), max_age=SESSION_S, httponly=True,
        samesite="Strict", secure=request.secure, path="/",
    )  # fmt: skip
    raise response


async def logout(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def call_list(request: web.Request) -> web.Response:
    filters = views.Filters.parse(dict(request.query))
    try:
        calls = [] if filters.errors else await request.app[STORE].calls(filters.query)
    except StoreUnavailable:
        return render(request, "unavailable.html", status=503)
    return render(
        request, "calls.html", status=400 if filters.errors else 200, filters=filters,
        calls=calls[: views.PAGE_SIZE], more=len(calls) > views.PAGE_SIZE,
        outcomes=[*OUTCOMES, IN_PROGRESS],
    )  # fmt: skip


async def call_page(request: web.Request) -> web.Response:
    try:
        detail = await request.app[STORE].call(request.match_info["call_id"])
    except StoreUnavailable:
        return render(request, "unavailable.html", status=503)
    if detail is None:
        raise web.HTTPNotFound(text="no such call")
    return render(
        request, "call.html", detail=detail, call=detail.call, chat=views.chat(detail),
        chart=views.chart_data(detail), retention_days=request.app[RETENTION],
    )  # fmt: skip
