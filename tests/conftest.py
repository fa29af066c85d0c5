"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest

# Tests reach no address but loopback. A local Ray otherwise binds its processes to this
# machine's network address and talks to itself through it; this setting (read when Ray
# is imported, and inherited by the processes it starts) keeps all of it on 127.0.0.1.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def _missing(what: str) -> None:
    """Skip on a developer's machine, fail in CI (which installs what the tests need)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}; CI must provide it (apt-get install -y redis-server; the "
                    f"test extra includes the redis package)", pytrace=False)
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """``redis://127.0.0.1:PORT``: a throw-away redis-server on loopback for this session
    (no persistence to disk), killed at teardown."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not installed")
    try:
        import redis
    except ImportError:
        _missing("the redis package is not installed")
    workdir = tmp_path_factory.mktemp("redis")
    for _ in range(3):     # the free port can be taken between probing and binding
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        client.close()
        if proc.poll() is None and time.monotonic() < deadline:
            break
        proc.kill()
        proc.wait()
    else:
        pytest.fail("redis-server did not start", pytrace=False)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def redis_url(redis_server):
    """A URL for a fresh, empty index: database 0 under a key prefix of its own."""
    return f"{redis_server}/0?prefix=test-{uuid.uuid4().hex[:12]}"
