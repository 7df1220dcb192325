"""`python -m review [--host H] [--port N]`: the call review page (scripts/agent review)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.settings import ConfigError, load_settings
from review.auth import MIN_TOKEN_CHARS
from review.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/agent review", description=__doc__)
    parser.add_argument("--host", help="address to listen on (ACME_REVIEW_HOST)")
    parser.add_argument("--port", type=int, help="port, 0 for any free one (ACME_REVIEW_PORT)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(require_keys=False)
        if len(settings.secrets.review_token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"ACME_REVIEW_TOKEN is required for the review page "
                f"(at least {MIN_TOKEN_CHARS} characters)"
            )
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    host = args.host or settings.review.host
    port = settings.review.port if args.port is None else args.port
    asyncio.run(serve(settings, host=host, port=port, ready=lambda url: print(url, flush=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
