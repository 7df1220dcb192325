"""Fixtures shared by the agent tests: a real, seeded SQLite order store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tools.store import OrderStore
from tools.stores import open_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[OrderStore]:
    s = await open_store(f"sqlite:///{tmp_path}/acme.db", seed=True)
    yield s
    await s.close()
