"""Consumer groups through redis-py: XGROUP CREATE/CREATECONSUMER/DELCONSUMER/SETID/
DESTROY, XREADGROUP with `>` and with a history id, blocking XREADGROUP, XACK, XPENDING
(summary and extended), XCLAIM, XAUTOCLAIM, XINFO GROUPS and CONSUMERS."""

import threading

import pytest
import redis

from conftest import connect, stream_entries, wait_blocked


def _ids(entries):
    return [e[0] for e in entries]


def test_group_read_ack_pending(r, prefix):
    k = f"{prefix}:jobs"
    assert r.xgroup_create(k, "workers", id="0", mkstream=True) is True
    ids = [r.xadd(k, {"job": str(i)}) for i in range(5)]
    got = stream_entries(r.xreadgroup("workers", "alice", {k: ">"}, count=3), k)
    assert got == [(ids[i], {"job": str(i)}) for i in range(3)]
    got = stream_entries(r.xreadgroup("workers", "bob", {k: ">"}), k)
    assert _ids(got) == ids[3:]
    # Nothing new for the group now.
    assert stream_entries(r.xreadgroup("workers", "bob", {k: ">"}), k) == []

    summary = r.xpending(k, "workers")
    assert summary["pending"] == 5
    assert summary["min"] == ids[0]
    assert summary["max"] == ids[4]
    assert sorted((c["name"], c["pending"]) for c in summary["consumers"]) == [("alice", 3), ("bob", 2)]

    assert r.xack(k, "workers", ids[0], ids[1]) == 2
    assert r.xack(k, "workers", ids[0]) == 0
    detail = r.xpending_range(k, "workers", min="-", max="+", count=10)
    assert [d["message_id"] for d in detail] == ids[2:]
    assert detail[0]["consumer"] == "alice"
    assert detail[0]["times_delivered"] == 1
    assert detail[0]["time_since_delivered"] >= 0
    only_bob = r.xpending_range(k, "workers", min="-", max="+", count=10, consumername="bob")
    assert [d["message_id"] for d in only_bob] == ids[3:]

    # A consumer re-reads its own pending history with an id instead of `>`.
    history = stream_entries(r.xreadgroup("workers", "alice", {k: "0"}), k)
    assert _ids(history) == [ids[2]]


def test_xclaim_and_xautoclaim(r, prefix):
    k = f"{prefix}:claims"
    r.xgroup_create(k, "g", id="$", mkstream=True)
    ids = [r.xadd(k, {"n": str(i)}) for i in range(4)]
    r.xreadgroup("g", "crashed", {k: ">"})
    claimed = r.xclaim(k, "g", "rescuer", min_idle_time=0, message_ids=[ids[0]])
    assert claimed == [(ids[0], {"n": "0"})]
    just_ids = r.xclaim(k, "g", "rescuer", min_idle_time=0, message_ids=[ids[1]], justid=True)
    assert just_ids == [ids[1]]
    # Idle too short: nothing claimed.
    assert r.xclaim(k, "g", "rescuer", min_idle_time=3_600_000, message_ids=[ids[2]]) == []

    reply = r.xautoclaim(k, "g", "sweeper", min_idle_time=0, start_id="0-0", count=10)
    next_id, entries = reply[0], reply[1]
    assert next_id == "0-0"
    assert _ids(entries) == ids
    assert list(reply[2]) == []  # Redis 7: ids that were deleted meanwhile
    # With JUSTID redis-py returns only the claimed ids (the cursor is dropped).
    only_ids = r.xautoclaim(k, "g", "sweeper", min_idle_time=0, start_id="0-0", count=2, justid=True)
    assert only_ids == ids[:2]
    rest = r.xautoclaim(k, "g", "sweeper", min_idle_time=0, start_id=ids[2], count=5, justid=True)
    assert rest == ids[2:]
    summary = r.xpending(k, "g")
    assert [(c["name"], c["pending"]) for c in summary["consumers"]] == [("sweeper", 4)]


def test_xinfo_groups_and_consumers(r, prefix):
    k = f"{prefix}:info"
    r.xgroup_create(k, "g1", id="0", mkstream=True)
    r.xgroup_create(k, "g2", id="$")
    ids = [r.xadd(k, {"n": str(i)}) for i in range(3)]
    r.xreadgroup("g1", "c1", {k: ">"}, count=2)
    assert r.xgroup_createconsumer(k, "g1", "idle-one") == 1
    groups = {g["name"]: g for g in r.xinfo_groups(k)}
    assert set(groups) == {"g1", "g2"}
    g1 = groups["g1"]
    assert g1["consumers"] == 2
    assert g1["pending"] == 2
    assert g1["last-delivered-id"] == ids[1]
    assert g1["entries-read"] == 2
    assert g1["lag"] == 1
    assert groups["g2"]["pending"] == 0
    consumers = {c["name"]: c for c in r.xinfo_consumers(k, "g1")}
    assert consumers["c1"]["pending"] == 2
    assert consumers["idle-one"]["pending"] == 0
    assert r.xgroup_delconsumer(k, "g1", "c1") == 2
    assert r.xgroup_setid(k, "g1", id="0") is True
    assert r.xgroup_destroy(k, "g2") == 1
    assert [g["name"] for g in r.xinfo_groups(k)] == ["g1"]


def test_blocked_xreadgroup_is_woken(r, protocol, prefix):
    k = f"{prefix}:block"
    r.xgroup_create(k, "g", id="$", mkstream=True)
    name = f"{prefix}-grp-reader"
    out = {}

    def read():
        reader = connect(protocol, client_name=name)
        try:
            out["reply"] = reader.xreadgroup("g", "c", {k: ">"}, block=5000)
        except Exception as e:
            out["error"] = e
        finally:
            reader.close()

    t = threading.Thread(target=read)
    t.start()
    wait_blocked(r, name)
    new_id = r.xadd(k, {"task": "wake"})
    t.join(5)
    assert not t.is_alive()
    assert "error" not in out, out.get("error")
    assert stream_entries(out["reply"], k) == [(new_id, {"task": "wake"})]
    assert r.xpending(k, "g")["pending"] == 1


def test_group_errors(r, prefix):
    k = f"{prefix}:errs"
    with pytest.raises(redis.ResponseError) as exc:
        r.xgroup_create(k, "g", id="$")
    assert str(exc.value) == (
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
        "want to use the MKSTREAM option to create an empty stream automatically."
    )
    r.xgroup_create(k, "g", id="$", mkstream=True)
    with pytest.raises(redis.ResponseError) as exc:
        r.xgroup_create(k, "g", id="$")
    assert str(exc.value) == "BUSYGROUP Consumer Group name already exists"
    with pytest.raises(redis.ResponseError) as exc:
        r.xreadgroup("nosuch", "c", {k: ">"})
    assert str(exc.value) == (
        f"NOGROUP No such key '{k}' or consumer group 'nosuch' in XREADGROUP with GROUP option"
    )
