"""Fixtures for the phone-call tests: a real, seeded SQLite store and a fake LiveKit job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit.agents import JobContext
from livekit.agents.testing import fake_job_context

from tests.telephony.livekit_fakes import NamedRoom
from tests.telephony.livekit_server_api import ServerApi
from tools.store import OrderStore
from tools.stores import open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OrderStore]:
    s = await open_store(f"sqlite:///{tmp_path}/acme.db", seed=True)
    yield s
    await s.close()


@pytest.fixture
def server_api() -> ServerApi:
    """A recorder of LiveKit server API requests; `livekit_server_api.live_job` sends a live
    job's requests to it (a fake job, below, sends none)."""
    return ServerApi()


@pytest.fixture
async def job() -> AsyncIterator[JobContext]:
    """A fake job, as in console mode, in a room a dispatch rule would name."""
    with fake_job_context(room=NamedRoom()) as ctx:
        yield ctx
