"""The browser playground path: Debian's chromium, headless, loads a page on `livekit-client`
(installed from npm by `scripts/setup dev`), joins with a token from `python -m agent.token`
that dispatches a named agent, and speaks through a WAV as its fake microphone. It hears the
agent, gets live transcriptions, and a typed chat message gets an answer."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page, async_playwright

from harness import speak
from harness.scenario import GREETING, ORDER_QUESTION
from simulators.livekit import LiveKitServerThread
from simulators.server import SimulatorThread
from tests.livekit.test_dev_worker import tracking_number
from tests.livekit.worker import ROOT, WorkerProcess, worker_env

pytestmark = pytest.mark.integration

PAGE_DIR = Path(__file__).resolve().parent / "browser"
CHROMIUM = "/usr/bin/chromium"
AGENT_NAME = "acme-web"
TYPED = "Where is order ACME-1042?"


@pytest.fixture(scope="module")
def web_worker(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    workdir = tmp_path_factory.mktemp("web-worker")
    env = worker_env(livekit, providers, workdir, ACME_AGENT_NAME=AGENT_NAME)
    with WorkerProcess("dev", env=env, workdir=workdir, name="web") as worker:
        names = livekit.server.agents.registrations
        worker.wait_until("registration", lambda: AGENT_NAME in {n for _, n in names})
        yield worker


@pytest.fixture
async def page_url() -> AsyncIterator[str]:
    """The page and its node_modules over HTTP on 127.0.0.1."""
    bundle = PAGE_DIR / "node_modules" / "livekit-client" / "dist" / "livekit-client.umd.js"
    assert bundle.exists(), "livekit-client is not installed: run scripts/setup dev"
    app = web.Application()
    app.router.add_static("/", PAGE_DIR)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/index.html"
    finally:
        await runner.cleanup()


def token_command(livekit: LiveKitServerThread, room: str) -> tuple[str, str]:
    """`python -m agent.token`, as a person would run it: (url, token) from its output."""
    credentials = livekit.server.credentials
    env = {
        "PATH": "/usr/bin:/bin",
        "ACME_CONFIG": str(ROOT / "config" / "settings.toml"),
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": credentials.api_key,
        "LIVEKIT_API_SECRET": credentials.api_secret,
        "ACME_AGENT_NAME": AGENT_NAME,
    }
    out = subprocess.run(
        [sys.executable, "-m", "agent.token", "--room", room, "--identity", "browser-caller"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ": " in line[:10])
    return fields["url"].strip(), fields["token"].strip()


async def poll(
    page: Page, what: str, check: Callable[[], Awaitable[bool]], within: float = 60
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    errors = await page.evaluate("window.caller.errors")
    raise AssertionError(f"timed out waiting for {what} (page errors: {errors})")


async def test_browser_caller_talks_and_chats_with_a_named_agent(
    livekit: LiveKitServerThread,
    providers: SimulatorThread,
    web_worker: WorkerProcess,
    page_url: str,
    tmp_path: Path,
) -> None:
    # Speech after a pause, so the question follows the greeting; then silence (no loop).
    question = await asyncio.to_thread(
        speak, ORDER_QUESTION.spoken, directory=tmp_path, sample_rate=48000, lead_s=6.0
    )
    assert question.path is not None
    url, token = await asyncio.to_thread(token_command, livekit, "web-1")
    providers.simulator.script.hear(ORDER_QUESTION.heard)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={question.path}%noloop",
            ],
        )
        try:
            page = await browser.new_page()
            page.on("pageerror", lambda e: print("page error:", e))
            await page.goto(page_url)
            await page.evaluate("([url, token]) => window.join(url, token)", [url, token])

            async def transcripts() -> list[dict[str, Any]]:
                return list(await page.evaluate("window.caller.transcripts"))

            async def agent_said(text: str, times: int = 1) -> bool:
                found = [t for t in await transcripts() if t["sender"] != "browser-caller"]
                return sum(text in t["text"] for t in found) >= times

            await poll(page, "the greeting", lambda: agent_said(GREETING))
            tracking = await tracking_number(web_worker.transcripts.parent, "ACME-1042")
            jobs = livekit.server.agents.jobs_in("web-1")
            assert [job.job.agent_name for job in jobs] == [AGENT_NAME]  # the token's dispatch
            await poll(page, "the spoken answer", lambda: agent_said(tracking))
            mic = await page.evaluate("window.micTrackSid()")
            mine = [t["text"] for t in await transcripts() if t["track"] == mic and t["final"]]
            assert " ".join(mine) == ORDER_QUESTION.heard  # a segment per final, in order

            async def heard() -> bool:
                return float(await page.evaluate("window.heardEnergy()")) > 0.0

            await poll(page, "the agent's audio", heard)

            await page.evaluate("(text) => window.sendChat(text)", TYPED)
            await poll(page, "the chat answer", lambda: agent_said(tracking, times=2))
            user_turns = [
                m["content"]
                for m in providers.simulator.received.llm_requests[-1]["messages"]
                if m["role"] == "user"
            ]
            assert TYPED in [str(u) for u in user_turns]
        finally:
            await browser.close()
