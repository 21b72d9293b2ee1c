"""Blocking XREAD with redis-py: a reader in a thread is woken by an XADD from another
connection, as a late-joining tail does."""

import threading

from conftest import connect, stream_entries, wait_blocked


def _blocked_read(protocol, name, streams, block_ms, out, **kwargs):
    reader = connect(protocol, client_name=name)
    try:
        out["reply"] = reader.xread(streams, block=block_ms, **kwargs)
    except Exception as e:  # surfaced by the main thread
        out["error"] = e
    finally:
        reader.close()


def test_blocked_xread_is_woken_by_xadd(r, protocol, prefix):
    k = f"{prefix}:tail"
    r.xadd(k, {"n": "0"})
    name = f"{prefix}-reader"
    out = {}
    t = threading.Thread(target=_blocked_read, args=(protocol, name, {k: "$"}, 5000, out))
    t.start()
    wait_blocked(r, name)
    new_id = r.xadd(k, {"n": "1", "text": "woken"})
    t.join(5)
    assert not t.is_alive()
    assert "error" not in out, out.get("error")
    assert stream_entries(out["reply"], k) == [(new_id, {"n": "1", "text": "woken"})]


def test_blocked_xread_on_several_streams(r, protocol, prefix):
    a, b = f"{{{prefix}}}:conversation", f"{{{prefix}}}:insights"
    r.xadd(a, {"x": "1"})
    name = f"{prefix}-multi"
    out = {}
    t = threading.Thread(target=_blocked_read, args=(protocol, name, {a: "$", b: "$"}, 5000, out))
    t.start()
    wait_blocked(r, name)
    new_id = r.xadd(b, {"kind": "summary"})
    t.join(5)
    assert not t.is_alive()
    assert "error" not in out, out.get("error")
    assert stream_entries(out["reply"], b) == [(new_id, {"kind": "summary"})]
    assert stream_entries(out["reply"], a) == []


def test_several_readers_woken_by_one_xadd(r, protocol, prefix):
    k = f"{prefix}:fanout"
    r.xadd(k, {"n": "0"})
    threads, outs = [], []
    for i in range(3):
        out = {}
        name = f"{prefix}-fan{i}"
        t = threading.Thread(target=_blocked_read, args=(protocol, name, {k: "$"}, 5000, out))
        t.start()
        wait_blocked(r, name)
        threads.append(t)
        outs.append(out)
    new_id = r.xadd(k, {"n": "1"})
    for t in threads:
        t.join(5)
        assert not t.is_alive()
    for out in outs:
        assert "error" not in out, out.get("error")
        assert stream_entries(out["reply"], k) == [(new_id, {"n": "1"})]


def test_block_times_out_empty(r, protocol, prefix):
    out = {}
    _blocked_read(protocol, f"{prefix}-timeout", {f"{prefix}:quiet": "$"}, 100, out)
    assert "error" not in out, out.get("error")
    assert not out["reply"]


def test_block_with_explicit_id_returns_at_once(r, protocol, prefix):
    k = f"{prefix}:ready"
    ids = [r.xadd(k, {"n": str(i)}) for i in range(3)]
    out = {}
    _blocked_read(protocol, f"{prefix}-ready", {k: ids[0]}, 5000, out, count=10)
    assert [e[0] for e in stream_entries(out["reply"], k)] == ids[1:]
