"""Shared fixtures for the redis-py compatibility suite.

The server comes from the environment: RINGBUS_HOST (default 127.0.0.1) and
RINGBUS_PORT. COMPAT_TARGET=redis runs the suite against a plain redis-server 7.0.15,
which is how every test is validated: assertions on ringbus-only behaviour (capped
tracks, SESSION.* commands) are then skipped or take Redis's answer. Every test works
on keys under its own random prefix and deletes them afterwards, so the suite can share
a server with other suites and with itself.
"""

import os
import time
import uuid

import pytest
import redis

HOST = os.environ.get("RINGBUS_HOST", "127.0.0.1")
PORT = int(os.environ["RINGBUS_PORT"])
TARGET = os.environ.get("COMPAT_TARGET", "ringbus")
assert TARGET in ("ringbus", "redis"), f"COMPAT_TARGET must be ringbus or redis, not {TARGET!r}"
RINGBUS = TARGET == "ringbus"

ringbus_only = pytest.mark.skipif(not RINGBUS, reason="ringbus-specific behaviour")


def connect(protocol, **kwargs):
    """A sync client for the server under test."""
    kwargs.setdefault("decode_responses", True)
    kwargs.setdefault("socket_timeout", 10)
    return redis.Redis(host=HOST, port=PORT, protocol=protocol, **kwargs)


def connect_async(protocol, **kwargs):
    """An asyncio client for the server under test."""
    import redis.asyncio

    kwargs.setdefault("decode_responses", True)
    kwargs.setdefault("socket_timeout", 10)
    return redis.asyncio.Redis(host=HOST, port=PORT, protocol=protocol, **kwargs)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def protocol(request):
    return request.param


@pytest.fixture
def prefix():
    """A key prefix no other test uses; its keys are deleted after the test."""
    p = f"compat-py-{uuid.uuid4().hex[:12]}"
    yield p
    cleanup = connect(2)
    try:
        keys = list(cleanup.scan_iter(match=f"*{p}*", count=1000))
        if keys:
            cleanup.delete(*keys)
    finally:
        cleanup.close()


@pytest.fixture
def r(protocol):
    client = connect(protocol)
    yield client
    client.close()


def wait_blocked(client, name, timeout=5.0):
    """Waits until the connection named `name` is blocked (flags=b in CLIENT LIST)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in client.client_list():
            if c.get("name") == name and "b" in c.get("flags", ""):
                return
        time.sleep(0.01)
    raise AssertionError(f"client {name} never blocked")


def stream_entries(reply, key):
    """The entries for `key` in an XREAD/XREADGROUP reply, whatever shape the client
    library gives for the protocol in use: a list of [key, entries] pairs (RESP2) or a
    mapping key -> entries (RESP3 in redis-py 5), possibly with a nested list."""
    if not reply:
        return []
    if isinstance(reply, dict):
        entries = reply.get(key, [])
        if entries and isinstance(entries[0], list) and entries[0] and isinstance(entries[0][0], (list, tuple)):
            entries = entries[0]
        return [tuple(e) for e in entries]
    for k, entries in reply:
        if k == key:
            return [tuple(e) for e in entries]
    return []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    line = f"python: {passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    terminalreporter.write_line(line)
