"""redis-py's connection handshake and the connection/server commands, with protocol
2 and 3 (the `r` fixture in conftest.py)."""

import pytest
import redis


def test_ping_echo(r):
    assert r.ping() is True
    assert r.echo("hi there") == "hi there"


def test_client_name_and_info(r):
    r.client_setname("py-worker")
    assert r.client_getname() == "py-worker"
    assert r.client_id() > 0
    names = [c["name"] for c in r.client_list()]
    assert "py-worker" in names
    assert r.client_info()["name"] == "py-worker"


def test_errors_are_response_errors(r):
    with pytest.raises(redis.ResponseError, match="unknown command 'NOSUCH'"):
        r.execute_command("NOSUCH", "x")
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.execute_command("SELECT", "99")


def test_info_and_config(r, prefix):
    # The server is shared with other suites: look only at this test's own keys.
    info = r.info()
    assert info["redis_version"] == "7.0.15"
    assert "connected_clients" in info
    assert r.config_get("maxclients") == {"maxclients": "10000"}
    assert isinstance(r.dbsize(), int)
    assert r.keys(f"{prefix}*") == []
    assert list(r.scan_iter(match=f"{prefix}*")) == []
    assert r.ttl(f"{prefix}:missing") == -2
    assert r.exists(f"{prefix}:missing") == 0


def test_pipeline_without_transaction(r, prefix):
    pipe = r.pipeline(transaction=False)
    pipe.ping()
    pipe.echo("a")
    pipe.exists(f"{prefix}:missing")
    assert pipe.execute() == [True, "a", 0]


def test_time_and_command(r):
    secs, usecs = r.time()
    assert secs > 1_600_000_000
    assert r.command_count() > 10
