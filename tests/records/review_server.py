"""The review page served for a test (the real `review.server.serve`, on 127.0.0.1:0), a
headless Debian chromium driven by Playwright, and what a supervisor does and reads there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from playwright.async_api import Browser, Page, async_playwright, expect

from agent.settings import load_settings
from review.server import serve

TOKEN = "review-token-for-tests-0123456789"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.asynccontextmanager
async def review_page(records_url: str, *, retention_days: int = 90) -> AsyncIterator[str]:
    """Serve the review page over `records_url`; yields its base URL."""
    settings = load_settings(
        environ={
            "ACME_STORE_URL": records_url,
            "ACME_REVIEW_TOKEN": TOKEN,
            "ACME_RECORD_RETENTION_DAYS": str(retention_days),
        },
        require_keys=False,
    )
    listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve(settings, host="127.0.0.1", port=0, ready=listening.set_result, stop=stop)
    )
    try:
        done, _ = await asyncio.wait({server, listening}, return_when=asyncio.FIRST_COMPLETED)
        if server in done:
            server.result()  # raises what stopped it
        yield listening.result().removeprefix("review page: ").rstrip("/")
    finally:
        stop.set()
        await server


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Access token").fill(TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Calls")).to_be_visible()


async def chat_lines(page: Page) -> list[str]:
    """The conversation as read: who (or what) and what was said or done, top to bottom."""
    lines = await page.locator("ol.chat > li").evaluate_all(
        "items => items.map(li => li.querySelector('.who').textContent + ': ' +"
        " (li.querySelector('p, code').textContent))"
    )
    return [str(line) for line in lines]
