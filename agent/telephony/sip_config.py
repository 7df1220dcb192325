"""Render config/sip/ (the inbound trunk and the dispatch rule for `lk sip ... create`) from the
settings, so the dispatch rule names the agent the worker registers as.

    ACME_AGENT_NAME=acme-support python -m agent.telephony.sip_config [--number +15105550100]
    ACME_AGENT_NAME=acme-support python -m agent.telephony.sip_config --check
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.settings import ROOT, ConfigError, Settings, load_settings
from agent.telephony.numbers import normalize_e164

SIP_DIR = ROOT / "config" / "sip"
TRUNK_FILE = "inbound-trunk.json"
RULE_FILE = "dispatch-rule.json"
ROOM_PREFIX = "call-"
EXAMPLE_NUMBER = "+15105550100"  # replace with the number your SIP provider routes to LiveKit


def inbound_trunk(*, numbers: Sequence[str]) -> dict[str, Any]:
    """A `CreateSIPInboundTrunkRequest`: calls to these numbers are accepted."""
    return {"trunk": {"name": "Acme support", "numbers": list(numbers)}}


def dispatch_rule(*, agent_name: str) -> dict[str, Any]:
    """A `CreateSIPDispatchRuleRequest`: one room per caller, with our agent dispatched to it.

    The caller's number stays visible: the agent recognizes callers by it.
    """
    return {
        "dispatch_rule": {
            "name": "Acme support phone calls",
            "rule": {"dispatchRuleIndividual": {"roomPrefix": ROOM_PREFIX}},
            "hidePhoneNumber": False,
            "roomConfig": {"agents": [{"agentName": agent_name}]},
        }
    }


def render(settings: Settings, *, numbers: Sequence[str] = (EXAMPLE_NUMBER,)) -> dict[str, str]:
    """File name -> JSON text. Raises ConfigError without an agent name or with a bad number."""
    if not settings.agent.name:
        raise ConfigError(
            "ACME_AGENT_NAME is empty: a dispatch rule must name the agent (e.g. acme-support)"
        )
    e164 = [normalize_e164(n) for n in numbers]
    if not e164 or None in e164:
        raise ConfigError(f"--number needs phone numbers in E.164 form (got {list(numbers)})")
    documents = {
        TRUNK_FILE: inbound_trunk(numbers=[n for n in e164 if n]),
        RULE_FILE: dispatch_rule(agent_name=settings.agent.name),
    }
    return {name: json.dumps(doc, indent=2) + "\n" for name, doc in documents.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.telephony.sip_config")
    parser.add_argument("--number", action="append", help=f"inbound number ({EXAMPLE_NUMBER})")
    parser.add_argument("--out", type=Path, default=SIP_DIR, help="folder to write to")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ")
    args = parser.parse_args(argv)
    try:
        files = render(load_settings(require_keys=False), numbers=args.number or [EXAMPLE_NUMBER])
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    stale = [name for name, text in files.items() if _read(args.out / name) != text]
    if args.check:
        for name in stale:
            print(f"{args.out / name} differs from the settings", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
