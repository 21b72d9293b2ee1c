"""The stream commands as an application uses them through redis-py, protocol 2 and 3:
XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XREAD, and a session's capped tracks."""

import pytest
import redis

from conftest import RINGBUS, connect, ringbus_only, stream_entries


def test_xadd_xrange_xrevrange_xlen(r, prefix):
    k = f"{prefix}:events"
    ids = [r.xadd(k, {"n": str(i), "role": "user"}) for i in range(5)]
    assert all(isinstance(i, str) and "-" in i for i in ids)
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    assert r.xlen(k) == 5
    entries = r.xrange(k)
    assert [e[0] for e in entries] == ids
    assert entries[0][1] == {"n": "0", "role": "user"}
    assert r.xrange(k, min=ids[1], max=ids[3]) == entries[1:4]
    assert r.xrange(k, min=f"({ids[1]}", count=2) == entries[2:4]
    assert r.xrevrange(k) == entries[::-1]
    assert r.xrevrange(k, count=2) == entries[:2:-1][:2]
    assert r.xrevrange(k, max=ids[2], min="-") == entries[2::-1]
    assert r.xrange(f"{prefix}:missing") == []
    assert r.xlen(f"{prefix}:missing") == 0


def test_explicit_ids_and_partial_ids(r, prefix):
    k = f"{prefix}:ids"
    assert r.xadd(k, {"a": "1"}, id="5-1") == "5-1"
    assert r.xadd(k, {"a": "2"}, id="5-*") == "5-2"
    assert r.xadd(k, {"a": "3"}, id="7") == "7-0"
    assert [e[0] for e in r.xrange(k, min="5", max="5")] == ["5-1", "5-2"]
    assert r.xrange(k, min="6", max="+") == [("7-0", {"a": "3"})]


def test_binary_values(protocol, prefix):
    r = connect(protocol, decode_responses=False)
    try:
        k = f"{prefix}:bin"
        blob = bytes(range(256)) + b"\r\n$-1\r\n"
        eid = r.xadd(k, {b"payload": blob, b"\x00": b""})
        [(got_id, fields)] = r.xrange(k)
        assert got_id == eid
        assert fields == {b"payload": blob, b"\x00": b""}
    finally:
        r.close()


def test_xadd_nomkstream_and_maxlen(r, prefix):
    k = f"{prefix}:capped"
    assert r.xadd(k, {"x": "1"}, nomkstream=True) is None
    assert r.exists(k) == 0
    for i in range(20):
        r.xadd(k, {"i": str(i)}, maxlen=10, approximate=False)
    assert r.xlen(k) == 10
    assert r.xrange(k, count=1)[0][1] == {"i": "10"}


def test_xdel_and_xtrim(r, prefix):
    k = f"{prefix}:trim"
    ids = [r.xadd(k, {"i": str(i)}) for i in range(10)]
    assert r.xdel(k, ids[0], ids[1], "999999999999-0") == 2
    assert r.xlen(k) == 8
    assert r.xtrim(k, maxlen=5, approximate=False) == 3
    assert [e[0] for e in r.xrange(k)] == ids[5:]
    assert r.xtrim(k, minid=ids[7], approximate=False) == 2
    assert [e[0] for e in r.xrange(k)] == ids[7:]
    assert r.xtrim(f"{prefix}:missing", maxlen=0) == 0


def test_xread_catch_up_and_tail(r, prefix):
    a, b = f"{prefix}:a", f"{prefix}:b"
    ida = [r.xadd(a, {"i": str(i)}) for i in range(3)]
    idb = [r.xadd(b, {"j": str(i)}) for i in range(2)]
    reply = r.xread({a: "0", b: "0"})
    assert [e[0] for e in stream_entries(reply, a)] == ida
    assert [e[0] for e in stream_entries(reply, b)] == idb
    reply = r.xread({a: ida[0]}, count=1)
    assert stream_entries(reply, a) == [(ida[1], {"i": "1"})]
    # Nothing after the last id: a non-blocking read is empty, a short block times out.
    assert not r.xread({a: ida[-1]})
    assert not r.xread({a: "$"}, block=50)
    assert not r.xread({f"{prefix}:missing": "0"})


def test_session_tracks(r, prefix):
    """The dual-track flow: producers append to a session's two tracks, a late joiner
    catches up on the last events of each (newest first) and then reads what follows."""
    conv, ins = f"{{{prefix}}}:conversation", f"{{{prefix}}}:insights"
    for i in range(5):
        r.xadd(conv, {"role": "user", "text": f"hello {i}"})
    r.xadd(ins, {"kind": "sentiment", "value": "positive"})
    latest = r.xrevrange(conv, count=3)
    assert [e[1]["text"] for e in latest] == ["hello 4", "hello 3", "hello 2"]
    reply = r.xread({conv: latest[0][0], ins: "0"})
    assert stream_entries(reply, conv) == []
    assert stream_entries(reply, ins)[0][1] == {"kind": "sentiment", "value": "positive"}


def test_track_is_capped_at_1000(r, prefix):
    """ringbus-specific: `<session>:conversation` is a ring of 1000 entries, so 1500
    appends leave the newest 1000. A plain Redis stream keeps all 1500."""
    k = f"{prefix}-s1:conversation"
    pipe = r.pipeline(transaction=False)
    for i in range(1500):
        pipe.xadd(k, {"i": str(i)})
    ids = pipe.execute()
    if RINGBUS:
        assert r.xlen(k) == 1000
        first = r.xrange(k, count=1)[0]
        assert first == (ids[500], {"i": "500"})
    else:
        assert r.xlen(k) == 1500
    assert r.xrevrange(k, count=1)[0] == (ids[-1], {"i": "1499"})


@ringbus_only
def test_session_end(r, prefix):
    sid = f"{{{prefix}}}"
    r.xadd(f"{sid}:conversation", {"a": "1"})
    r.xadd(f"{sid}:insights", {"b": "2"})
    info = r.execute_command("SESSION.INFO", sid)
    assert info is not None
    assert r.execute_command("SESSION.END", sid) == 2
    assert r.exists(f"{sid}:conversation", f"{sid}:insights") == 0
    assert r.execute_command("SESSION.INFO", sid) is None


def test_type_and_key_commands(r, prefix):
    k = f"{prefix}:keyed"
    r.xadd(k, {"a": "1"})
    assert r.type(k) == "stream"
    assert r.exists(k) == 1
    assert r.expire(k, 100) is True
    assert 0 < r.ttl(k) <= 100
    assert r.persist(k) is True
    assert r.rename(k, f"{prefix}:renamed") is True
    assert r.xlen(f"{prefix}:renamed") == 1
    assert r.delete(f"{prefix}:renamed") == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (("XADD", "{k}", "not-an-id", "f", "v"), "Invalid stream ID specified as stream command argument"),
        (("XADD", "{k}", "0-0", "f", "v"), "The ID specified in XADD must be greater than 0-0"),
        (("XADD", "{k}", "1-1", "f"), "wrong number of arguments for 'xadd' command"),
        (("XRANGE", "{k}", "x", "+"), "Invalid stream ID specified as stream command argument"),
        (("XREAD", "STREAMS", "{k}", "{k}2", "0"), "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
        (("XREAD", "COUNT", "x", "STREAMS", "{k}", "0"), "value is not an integer or out of range"),
        (("XTRIM", "{k}", "SIZE", "1"), "syntax error"),
        (("XADD", "{k}", "MAXLEN", "-1", "*", "f", "v"), "The MAXLEN argument must be >= 0."),
    ],
    ids=["bad-id", "zero-id", "arity", "range-id", "unbalanced", "count", "syntax", "maxlen"],
)
def test_errors_are_response_errors(r, prefix, args, message):
    args = [a.replace("{k}", f"{prefix}:err") for a in args]
    with pytest.raises(redis.ResponseError) as exc:
        r.execute_command(*args)
    # redis-py strips the "ERR " code; the rest is Redis's exact text.
    assert str(exc.value) == message


def test_equal_or_smaller_id_error(r, prefix):
    k = f"{prefix}:order"
    r.xadd(k, {"a": "1"}, id="10-0")
    with pytest.raises(redis.ResponseError) as exc:
        r.xadd(k, {"a": "2"}, id="9-0")
    assert str(exc.value) == "The ID specified in XADD is equal or smaller than the target stream top item"
    # The connection stays usable after an error.
    assert r.xlen(k) == 1
