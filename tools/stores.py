"""The one place that turns a database URL into a concrete order store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tools.store import OrderStore

SQLITE_PREFIX = "sqlite://"


def sqlite_path(url: str) -> str:
    """Return the file path for ``sqlite:///relative.db``, ``sqlite:////abs.db`` or a plain path."""
    if not url.startswith(SQLITE_PREFIX):
        return str(Path(url).expanduser())
    rest = url[len(SQLITE_PREFIX) :]
    if not rest.startswith("/"):
        raise ValueError("sqlite URLs look like sqlite:///relative/path.db or sqlite:////abs.db")
    path = unquote(rest[1:].split("?", 1)[0])
    if not path:
        raise ValueError("the sqlite URL has no file path")
    return path


async def open_store(
    url: str, *, seed: bool = True, pool_size: int = 4, seed_reference: date | None = None
) -> OrderStore:
    """Open the store a URL names: sqlite:// or a plain path -> SQLite, postgres(ql):// -> Postgres.

    Raises ValueError for any other URL scheme and StoreUnavailable when the database
    cannot be reached.
    """
    if not url or not url.strip():
        raise ValueError("the order store URL is empty")
    url = url.strip()
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    # Backends are imported on use, so a SQLite worker never loads the PostgreSQL driver.
    if scheme in ("postgresql", "postgres"):
        from tools.postgres_store import PostgresOrderStore

        return await PostgresOrderStore.open(
            dsn=url, seed=seed, seed_reference=seed_reference, min_size=1, max_size=pool_size
        )
    if scheme in ("", "sqlite"):
        from tools.sqlite_store import SqliteOrderStore

        return await SqliteOrderStore.open(
            path=sqlite_path(url), seed=seed, seed_reference=seed_reference
        )
    raise ValueError(f"unsupported order store URL scheme {scheme!r}; use sqlite or postgresql")
