"""Serving modes: in a background thread, as a CLI process, and the HTTP control endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from livekit.agents.llm import ChatContext
from livekit.plugins import openai

from simulators import Latency, ProviderSimulator, Script

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def _post(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_run_in_thread_serves_until_stopped() -> None:
    script = Script(hears=["hello"])
    with ProviderSimulator.run_in_thread(script=script, latency=Latency.instant()) as handle:
        assert handle.openai_base_url == f"http://127.0.0.1:{handle.port}/v1"
        assert handle.deepgram_base_url.endswith("/v1/listen")
        assert handle.cartesia_base_url == f"http://127.0.0.1:{handle.port}"
        models = _get(f"{handle.openai_base_url}/models")
        assert models["object"] == "list"
        reply = _post(
            f"{handle.openai_base_url}/chat/completions",
            {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert reply["choices"][0]["message"]["content"] == script.default_answer
        assert handle.simulator.received.llm_requests[0]["messages"][0]["content"] == "hi"
        port = handle.port
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/v1/models")


def test_cli_prints_its_address_and_serves() -> None:
    command = [sys.executable, "-m", "simulators", "--port", "0", "--instant"]
    command += ["--script", "echo", "--hears", "hello there"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line.startswith("simulators listening on http://127.0.0.1:")
            base = line.rsplit(" ", 1)[1]
            body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "ping"}]}
            reply = _post(f"{base}/v1/chat/completions", body)
            assert reply["choices"][0]["message"]["content"] == "You said: ping"
            received = _get(f"{base}/_sim/received")
            assert received["llm_requests"] == 1
            assert received["hears_queued"] == 1
        finally:
            proc.terminate()
        assert proc.wait(timeout=10) == 0


async def test_control_endpoints_drive_a_running_simulator(sim: ProviderSimulator) -> None:
    base = sim.base_url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/_sim/hears", json={"texts": ["a", "b"]}) as resp:
            assert (await resp.json())["queued"] == 2
        async with session.post(
            f"{base}/_sim/faults", json={"stage": "llm", "kind": "http_500", "times": 2}
        ) as resp:
            assert (await resp.json())["pending"] == 2
        async with session.post(
            f"{base}/_sim/faults", json={"stage": "nope", "kind": "http_500"}
        ) as resp:
            assert resp.status == 400
        async with session.patch(f"{base}/_sim/latency", json={"llm_ttft_s": 0.5}) as resp:
            assert (await resp.json())["llm_ttft_s"] == 0.5
        async with session.patch(f"{base}/_sim/latency", json={"bogus": 1}) as resp:
            assert resp.status == 400
        async with session.post(f"{base}/v1/chat/completions", json={"messages": []}) as resp:
            assert resp.status == 500
        async with session.get(f"{base}/_sim/received") as resp:
            received = await resp.json()
        async with session.post(f"{base}/_sim/reset") as resp:
            assert resp.status == 200
    assert sim.script.hears == []
    assert sim.latency.llm_ttft_s == 0.5
    assert received["faults_fired"] == 1 and received["llm_requests"] == 1
    assert sim.faults.pending() == 0 and sim.received.llm_requests == []


async def test_script_can_be_replaced_while_serving(sim: ProviderSimulator) -> None:
    model = openai.LLM(base_url=sim.openai_base_url, api_key="x")
    ctx = ChatContext()
    ctx.add_message(role="user", content="hi")
    sim.script = Script(default_answer="Changed while serving.")
    async with model.chat(chat_ctx=ctx) as stream:
        text = "".join([c.delta.content or "" async for c in stream if c.delta is not None])
    assert text == "Changed while serving."
    await model.aclose()
