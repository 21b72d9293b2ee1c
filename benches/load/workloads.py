"""What the load comparison runs: the redis-benchmark workloads, the data they read,
the memory scenarios, and the targets (ringbus / Redis ratios) each is held to."""

import random

# The value XADD workloads send: 80 bytes (events carry 64-100 byte values).
VALUE = ("event-payload:" + "abcdefghijklmnopqrstuvwxyz0123456789" * 3)[:80]

# The stream the read workloads read: a full 1000-entry track in db 0.
READ_KEY = "bench:conversation"
READ_ENTRIES = 1000
# Explicit IDs so both servers hold byte-identical streams: 3 entries per ms.
ID_BASE_MS = 1_700_000_000_000


def read_entry_id(i):
    """The ID of entry `i` (0-based) of the read stream."""
    return "%d-%d" % (ID_BASE_MS + i // 3, i % 3)


def read_entries(seed=7):
    """The read stream's entries: (id, role, data) with 64-100 byte values."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    out = []
    for i in range(READ_ENTRIES):
        n = rng.randint(64, 100)
        data = "".join(rng.choice(alphabet) for _ in range(n))
        out.append((read_entry_id(i), "user" if i % 2 == 0 else "assistant", data))
    return out


def _w(name, title, cmd, n, pipeline, targets, db=0, keyspace=None, flush=False):
    return {
        "name": name,
        "title": title,
        "cmd": cmd,
        "n": n,
        "pipeline": pipeline,
        "targets": targets,
        "db": db,
        "keyspace": keyspace,
        "flush": flush,
    }


# Targets are ringbus / Redis ratios of medians: `cpu` (server CPU per request,
# at most), `rps` (requests per second, at least).
WORKLOADS = [
    _w(
        "xadd_p16",
        "XADD one stream, P16",
        ["XADD", "load:conversation", "*", "role", "user", "data", VALUE],
        1_000_000,
        16,
        {"cpu": 0.8, "rps": 1.0},
        db=1,
        flush=True,
    ),
    _w(
        "xadd_p1",
        "XADD one stream, P1",
        ["XADD", "load:conversation", "*", "role", "user", "data", VALUE],
        200_000,
        1,
        {"rps": 1.0},
        db=1,
        flush=True,
    ),
    _w(
        "xadd_10k_p16",
        "XADD 10k sessions, P16",
        ["XADD", "s:__rand_int__:conversation", "*", "role", "user", "data", VALUE],
        1_000_000,
        16,
        {"cpu": 0.8, "rps": 1.0},
        db=1,
        keyspace=10_000,
        flush=True,
    ),
    _w(
        "xrange_100",
        "XRANGE COUNT 100, P16",
        ["XRANGE", READ_KEY, "-", "+", "COUNT", "100"],
        150_000,
        16,
        {"cpu": 0.4, "rps": 1.0},
    ),
    _w(
        "xrevrange_10",
        "XREVRANGE COUNT 10, P16",
        ["XREVRANGE", READ_KEY, "+", "-", "COUNT", "10"],
        600_000,
        16,
        {"rps": 1.0},
    ),
    _w(
        "xread_10",
        "XREAD COUNT 10, P16",
        # After entry 989: the last 10 entries, as a reader a little behind asks.
        ["XREAD", "COUNT", "10", "STREAMS", READ_KEY, read_entry_id(READ_ENTRIES - 11)],
        600_000,
        16,
        {"cpu": 0.6, "rps": 1.0},
    ),
    _w(
        "catchup_1000",
        "XRANGE - + (1000 entries), P1",
        ["XRANGE", READ_KEY, "-", "+"],
        20_000,
        1,
        {"rps": 1.0},
    ),
]

# The fan-out probe: readers blocked on one stream, a producer appending at a
# fixed interval. The targets apply to the first: appends 20 ms apart, a rate
# both servers sustain on a 2-core machine, so both are measured at the same
# load. The second spaces them 5 ms apart, past what Redis sustains: its single
# thread serves the 1000 readers before the producer's next XADD, so its
# producer falls behind (see "append interval achieved") and its latency is
# measured at a lower load than ringbus's. Reported for context, not judged.
FANOUTS = [
    {
        "name": "fanout",
        "title": "Fan-out",
        "clients": 1000,
        "events": 200,
        "interval_ms": 20,
        "key": "fanout:conversation",
        "targets": {"cpu": 0.6, "p99": 1.0},
    },
    {
        "name": "fanout_5ms",
        "title": "Fan-out, 5 ms apart (saturating)",
        "clients": 1000,
        "events": 200,
        "interval_ms": 5,
        "key": "fanout:conversation",
        "targets": {},
    },
]
FANOUT = FANOUTS[0]

# Memory scenarios: sessions x tracks x events per stream, ~100-byte events.
# Titles name the sizes as run (`--quick` loads a tenth of the sessions).
MEMORY = [
    {"name": "mem_full", "title": "{sessions} sessions x 2 tracks x {events} events",
     "sessions": 1000, "events": 1000, "target": 1.0},
    {"name": "mem_small", "title": "{sessions:,} sessions x 2 tracks x {events} events",
     "sessions": 50_000, "events": 5, "target": 0.3},
]
TRACKS = ["conversation", "insights"]

# Memory per connected reader, on a fresh server: `readers` connections parked in
# XREAD BLOCK 0 on one stream, measured once parked and again after one append has
# been delivered to every reader and each has parked again (a tailing reader's
# steady state), each time `settle_s` after the last reader parked. Not one of the
# issue's targets: reported because readers (browser tabs behind a gateway,
# workers tailing sessions) are what a deployment sizes for.
READERS = [
    {"name": "mem_readers", "title": "{readers:,} readers in XREAD BLOCK",
     "readers": 5000, "key": "readers:conversation", "settle_s": 15},
]
