"""Pipelines with a transaction (MULTI/EXEC) and optimistic locking with WATCH, as
redis-py's `pipeline()` and `transaction()` helpers drive them."""

import pytest
import redis

from conftest import connect


def test_multi_exec_pipeline(r, prefix):
    k = f"{prefix}:tx"
    pipe = r.pipeline(transaction=True)
    pipe.xadd(k, {"a": "1"}, id="1-0")
    pipe.xadd(k, {"a": "2"}, id="2-0")
    pipe.xlen(k)
    pipe.xrange(k)
    assert pipe.execute() == ["1-0", "2-0", 2, [("1-0", {"a": "1"}), ("2-0", {"a": "2"})]]


def test_multi_exec_runtime_error_does_not_roll_back(r, prefix):
    k = f"{prefix}:tx-err"
    pipe = r.pipeline(transaction=True)
    pipe.xadd(k, {"a": "1"}, id="5-0")
    pipe.xadd(k, {"a": "2"}, id="4-0")  # fails when EXEC runs it
    pipe.xlen(k)
    res = pipe.execute(raise_on_error=False)
    assert res[0] == "5-0"
    assert isinstance(res[1], redis.ResponseError)
    assert res[2] == 1


def test_multi_exec_queue_time_error_aborts(r, prefix):
    k = f"{prefix}:tx-abort"
    pipe = r.pipeline(transaction=True)
    pipe.xadd(k, {"a": "1"})
    pipe.execute_command("XADD", k)  # wrong arity: rejected when queued
    with pytest.raises(redis.ResponseError) as exc:
        pipe.execute()
    assert "wrong number of arguments for 'xadd' command" in str(exc.value)
    assert r.exists(k) == 0


def test_watch_aborts_when_key_changes(r, protocol, prefix):
    k = f"{prefix}:watched"
    r.xadd(k, {"v": "0"})
    other = connect(protocol)
    try:
        with r.pipeline() as pipe:
            pipe.watch(k)
            n = pipe.xlen(k)  # immediate mode after WATCH
            assert n == 1
            other.xadd(k, {"v": "other"})
            pipe.multi()
            pipe.xadd(k, {"v": "mine"})
            with pytest.raises(redis.WatchError):
                pipe.execute()
    finally:
        other.close()
    assert [e[1]["v"] for e in r.xrange(k)] == ["0", "other"]


def test_watch_commits_when_key_is_unchanged(r, prefix):
    k = f"{prefix}:watched-ok"
    r.xadd(k, {"v": "0"})
    with r.pipeline() as pipe:
        pipe.watch(k)
        last = pipe.xrevrange(k, count=1)[0][0]
        pipe.multi()
        pipe.xadd(k, {"v": "1", "after": last})
        pipe.xlen(k)
        res = pipe.execute()
    assert res[1] == 2


def test_transaction_helper_retries(r, protocol, prefix):
    k = f"{prefix}:retry"
    r.xadd(k, {"v": "0"})
    other = connect(protocol)
    attempts = []

    def append_once(pipe):
        attempts.append(1)
        n = pipe.xlen(k)
        if len(attempts) == 1:
            other.xadd(k, {"v": "interloper"})  # forces one retry
        pipe.multi()
        pipe.xadd(k, {"v": f"seen-{n}"})

    try:
        r.transaction(append_once, k)
    finally:
        other.close()
    assert len(attempts) == 2
    assert [e[1]["v"] for e in r.xrange(k)] == ["0", "interloper", "seen-2"]


def test_unwatch_and_discard(r, prefix):
    k = f"{prefix}:discard"
    with r.pipeline() as pipe:
        pipe.watch(k)
        pipe.unwatch()
        pipe.multi()
        pipe.xadd(k, {"a": "1"})
        pipe.reset()  # buffered commands are dropped before they reach the server
    assert r.exists(k) == 0
    # MULTI then DISCARD on one connection (the pool hands back the same one).
    assert r.execute_command("MULTI") in (True, "OK", b"OK")
    assert r.execute_command("DISCARD") in (True, "OK", b"OK")
