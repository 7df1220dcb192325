# syntax=docker/dockerfile:1
# Acme voice support agent: the production worker (`python agent/main.py start`).
# LiveKit Cloud builds this file on `lk agent deploy`; any container host can run it too.
# RUN steps marked `# docker-steps` are replayed in a fresh virtualenv by scripts/docker-steps
# (CI), so the install and download steps are tested even without a Docker engine.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: the hash-pinned runtime lock into a virtualenv (all wheels, no compiler needed)
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /build
COPY requirements.lock ./
# docker-steps
RUN python -m venv /opt/venv
# docker-steps
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/venv/bin/python -m pip install --require-hashes --no-deps -r requirements.lock

# --- runtime: the virtualenv and the agent's code, as an unprivileged user
# No system packages: only `console` imports sounddevice (PortAudio); `start` never does
# (tests/ship/test_worker_start.py runs the worker with PortAudio made unavailable).
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 acme \
    && useradd --system --uid 10001 --gid acme --home-dir /home/acme --create-home \
       --shell /usr/sbin/nologin acme
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY agent/ agent/
COPY tools/ tools/
COPY review/ review/
COPY config/ config/
# The SQLite demo store and the per-call transcripts live here; use PostgreSQL
# (ACME_STORE_URL) when several workers must share one store.
RUN mkdir -p data/transcripts && chown -R acme:acme data
USER acme
# Plugin assets baked into the image (openai, deepgram, cartesia and silero need none today).
# docker-steps
RUN python agent/main.py download-files

# Health endpoint of the `start` worker (GET / and GET /worker); ACME_HEALTH_PORT changes it.
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ACME_HEALTH_PORT', '8081') + '/', timeout=4)"]
CMD ["python", "agent/main.py", "start"]
