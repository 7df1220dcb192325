"""Provider base URLs in the shapes each provider documents, turned into what each plugin wants.

- OpenAI (and OpenAI-compatible servers): a root (`https://api.openai.com`) or a URL ending in
  `/v1`; the plugins want the `/v1` form.
- Deepgram: a root (`https://api.deepgram.com`), or one ending in `/v1` or `/v1/listen`; the
  plugin wants the `/v1/listen` form.
- Cartesia: a root (`https://api.cartesia.ai`).
Anything else is a configuration error naming the expected shape.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_SCHEMES = ("http", "https", "ws", "wss")


def _split(url: str, provider: str, example: str) -> tuple[str, str]:
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"expected a {provider} URL such as {example}")
    root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return root, parts.path.rstrip("/")


def openai_base_url(url: str) -> str:
    if not url:
        return url
    example = "https://api.openai.com or one ending in /v1"
    root, path = _split(url, "OpenAI", example)
    if path == "":
        return f"{root}/v1"
    if path.endswith("/v1"):
        return f"{root}{path}"
    raise ValueError(f"expected an OpenAI URL such as {example}")


def deepgram_base_url(url: str) -> str:
    if not url:
        return url
    example = "https://api.deepgram.com, optionally ending in /v1/listen"
    root, path = _split(url, "Deepgram", example)
    if path in ("", "/v1", "/v1/listen"):
        return f"{root}/v1/listen"
    raise ValueError(f"expected a Deepgram URL such as {example}")


def cartesia_base_url(url: str) -> str:
    if not url:
        return url
    example = "https://api.cartesia.ai"
    root, path = _split(url, "Cartesia", example)
    if path == "":
        return root
    raise ValueError(f"expected a Cartesia URL such as {example} (no path)")
