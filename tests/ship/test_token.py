"""`python -m agent.token`: grants, identity, lifetime and agent dispatch of a token, offline."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from livekit import api

from agent.token import join_token, main, parse_ttl

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "APIdemo", "a-test-secret-that-is-at-least-32-bytes-long"
ENV = {
    "LIVEKIT_URL": "wss://acme.livekit.cloud",
    "LIVEKIT_API_KEY": KEY,
    "LIVEKIT_API_SECRET": SECRET,
}


def decode(token: str) -> dict[str, object]:
    return jwt.decode(token, SECRET, algorithms=["HS256"], issuer=KEY)


def run_main(capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str]) -> str:
    assert main(argv, environ=env) == 0
    return capsys.readouterr().out


def field(out: str, name: str) -> str:
    line = next(x for x in out.splitlines() if x.startswith(f"{name}:"))
    return line.split(":", 1)[1].strip()


def test_token_grants_join_to_one_room_only() -> None:
    token = join_token(
        api_key=KEY, api_secret=SECRET, room="demo", identity="pat", ttl=timedelta(minutes=5)
    )
    claims = api.TokenVerifier(KEY, SECRET).verify(token)
    assert claims.identity == "pat" and claims.name == "pat"
    assert claims.video is not None
    assert claims.video.room_join is True and claims.video.room == "demo"
    assert claims.video.can_publish and claims.video.can_subscribe and claims.video.can_publish_data
    assert not claims.video.room_admin and not claims.video.room_create
    assert claims.room_config is None  # no dispatch: automatic dispatch decides


def test_token_lifetime_is_the_ttl() -> None:
    token = join_token(
        api_key=KEY, api_secret=SECRET, room="demo", identity="pat", ttl=timedelta(minutes=90)
    )
    raw = decode(token)
    assert isinstance(raw["exp"], int) and isinstance(raw["nbf"], int)
    assert raw["exp"] - raw["nbf"] in (5400, 5401)  # the two stamps may straddle a second


def test_agent_name_dispatches_that_agent() -> None:
    token = join_token(
        api_key=KEY,
        api_secret=SECRET,
        room="demo",
        identity="pat",
        ttl=timedelta(hours=1),
        agent_name="acme-support",
    )
    config = api.TokenVerifier(KEY, SECRET).verify(token).room_config
    assert config is not None
    assert [d.agent_name for d in config.agents] == ["acme-support"]


def test_token_signed_with_the_secret() -> None:
    token = join_token(api_key=KEY, api_secret=SECRET, room="r", identity="i", ttl=timedelta(1))
    with pytest.raises(jwt.InvalidSignatureError):
        api.TokenVerifier(KEY, SECRET + "x").verify(token)


def test_cli_prints_token_links_and_uses_configured_agent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**ENV, "ACME_AGENT_NAME": "acme-support"}
    out = run_main(capsys, ["--room", "support-7", "--identity", "sam", "--ttl", "30m"], env)
    token = field(out, "token")
    claims = api.TokenVerifier(KEY, SECRET).verify(token)
    assert (claims.identity, claims.video and claims.video.room) == ("sam", "support-7")
    assert claims.room_config is not None
    assert claims.room_config.agents[0].agent_name == "acme-support"
    raw = decode(token)
    assert isinstance(raw["exp"], int) and isinstance(raw["nbf"], int)
    assert raw["exp"] - raw["nbf"] in (1800, 1801)
    assert field(out, "url") == "wss://acme.livekit.cloud"
    assert "https://agents-playground.livekit.io" in out
    link = next(x for x in out.split() if x.startswith("https://meet.livekit.io/custom?"))
    query = parse_qs(urlparse(link).query)
    assert query == {"liveKitUrl": ["wss://acme.livekit.cloud"], "token": [token]}


def test_agent_flag_overrides_and_empty_flag_disables_dispatch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {**ENV, "ACME_AGENT_NAME": "acme-support"}
    out = run_main(capsys, ["--agent", "acme-staging"], env)
    config = api.TokenVerifier(KEY, SECRET).verify(field(out, "token")).room_config
    assert config is not None and config.agents[0].agent_name == "acme-staging"
    out = run_main(capsys, ["--agent", ""], env)
    assert api.TokenVerifier(KEY, SECRET).verify(field(out, "token")).room_config is None


def test_default_identity_is_random_per_token(capsys: pytest.CaptureFixture[str]) -> None:
    first = field(run_main(capsys, [], ENV), "identity")
    second = field(run_main(capsys, [], ENV), "identity")
    assert first.startswith("caller-") and second.startswith("caller-") and first != second


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        (
            {"LIVEKIT_URL": "ws://localhost:7880"},
            [],
            "LIVEKIT_API_KEY, LIVEKIT_API_SECRET required",
        ),
        ({**ENV, "LIVEKIT_URL": ""}, [], "LIVEKIT_URL required"),
        (ENV, ["--ttl", "soon"], "invalid ttl 'soon'"),
        (ENV, ["--room", " "], "--room must not be empty"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], env: dict[str, str], argv: list[str], message: str
) -> None:
    assert main(argv, environ=env) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30m", 1800), ("90s", 90), ("1h30m", 5400), ("2d", 172800), ("600", 600)],
)
def test_parse_ttl(text: str, seconds: int) -> None:
    assert parse_ttl(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0", "1x", "h", "-5m", "8d", "1h 30m"])
def test_parse_ttl_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid ttl"):
        parse_ttl(text)


def test_runs_as_a_module_from_the_project_root() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ACME_", "LIVEKIT_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "agent.token", "--room", "demo", "--identity", "pat"],
        env={**clean, **ENV, "ACME_CONFIG": str(ROOT / "config" / "settings.toml")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert api.TokenVerifier(KEY, SECRET).verify(field(proc.stdout, "token")).identity == "pat"


def test_running_the_worker_script_keeps_the_stdlib_token_module() -> None:
    """`python agent/main.py` starts with agent/ on sys.path, where token.py would shadow stdlib."""
    code = (
        "import runpy, sys\n"
        f"sys.path[0] = {str(ROOT / 'agent')!r}\n"
        f"sys.argv = [{str(ROOT / 'agent' / 'main.py')!r}, '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'agent' / 'main.py')!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import token, tokenize\n"
        "print('TOKEN_MODULE', token.__file__)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("TOKEN_MODULE"))
    assert Path(line.split(" ", 1)[1]).resolve() != (ROOT / "agent" / "token.py").resolve()


def test_no_module_imports_token_bare() -> None:
    for path in [*ROOT.joinpath("agent").rglob("*.py"), *ROOT.joinpath("tools").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert all(a.name != "token" for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert all(a.name != "token" for a in node.names), path
