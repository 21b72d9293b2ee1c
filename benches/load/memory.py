"""Resident memory on a fresh server, from its VmRSS before and after: per buffered
event (sessions x tracks x events loaded with pipelined XADDs), and per reader
parked in XREAD BLOCK."""

import random
import time

from resp import Client, encode, rss_bytes
from workloads import MEMORY, READERS, TRACKS

SCENARIOS = MEMORY
READER_SCENARIOS = READERS
BATCH = 2000


def _values(seed=11, count=64):
    """Pre-encoded `role <r> data <v>` argument tails; ~100 bytes of fields each."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        role = b"user" if i % 2 == 0 else b"assistant"
        data = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in
                     range(rng.randint(80, 100)))
        out.append(b"$4\r\nrole\r\n$%d\r\n%s\r\n$4\r\ndata\r\n$%d\r\n%s\r\n"
                   % (len(role), role, len(data), data))
    return out


def _requests(sessions, events):
    """Every XADD, interleaved across streams as concurrent sessions would append."""
    keys = []
    for s in range(sessions):
        for t in TRACKS:
            key = b"mem:%d:%s" % (s, t.encode())
            keys.append(b"*7\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n" % (len(key), key))
    values = _values()
    v = 0
    for _ in range(events):
        for head in keys:
            yield head + values[v % len(values)]
            v += 1


def measure(server, scenario, scale=1.0):
    """Loads `scenario` into `server` (fresh) and reports RSS bytes per event."""
    sessions = max(1, int(scenario["sessions"] * scale))
    events = scenario["events"]
    c = server.client()
    try:
        time.sleep(0.5)
        before = rss_bytes(server.pid)
        batch, count, errors = [], 0, 0
        for req in _requests(sessions, events):
            batch.append(req)
            if len(batch) == BATCH:
                errors += c.pipeline(b"".join(batch), len(batch))
                count += len(batch)
                batch = []
        if batch:
            errors += c.pipeline(b"".join(batch), len(batch))
            count += len(batch)
        if errors:
            raise RuntimeError("%s: %d XADD errors while loading" % (server.kind, errors))
        time.sleep(1.0)
        after = rss_bytes(server.pid)
        sample_len = c.cmd("XLEN", "mem:0:conversation")
    finally:
        c.close()
    return {
        "events": count,
        "streams": sessions * len(TRACKS),
        "rss_before": before,
        "rss_after": after,
        "bytes_per_event": (after - before) / count,
        "xlen_check": sample_len,
    }


def _wait_blocked(control, n, timeout=60.0):
    """Waits until the server counts `n` clients in a blocking command."""
    deadline = time.monotonic() + timeout
    while True:
        info = control.cmd("INFO", "clients").decode()
        blocked = next((int(line.split(":", 1)[1]) for line in info.splitlines()
                        if line.startswith("blocked_clients:")), None)
        if blocked == n:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("%d clients blocked after %.0f s, expected %d"
                               % (blocked or 0, timeout, n))
        time.sleep(0.1)


def measure_readers(server, scenario, scale=1.0):
    """Parks `readers` connections to `server` (fresh) in XREAD BLOCK 0 on one
    stream and reports RSS bytes per reader: parked, then parked again after one
    append was delivered to each. Each reading waits `settle_s` first, so that
    both servers are measured as they stay, not as they pass: Redis shrinks the
    query buffer of a client idle for 2 seconds, and jemalloc returns freed pages
    to the kernel over about 10 (its dirty decay)."""
    n = max(1, int(scenario["readers"] * scale))
    key = scenario["key"]
    request = encode("XREAD", "BLOCK", 0, "STREAMS", key, "$")
    control = server.client()
    readers = []
    try:
        control.cmd("XADD", key, "*", "role", "user", "data", "first")
        time.sleep(0.5)
        before = rss_bytes(server.pid)
        for _ in range(n):
            # A small read buffer: thousands of them live in this process.
            readers.append(Client(server.port, buffering=4096))
            readers[-1].sock.sendall(request)
        _wait_blocked(control, n)
        time.sleep(scenario["settle_s"])
        parked = rss_bytes(server.pid)
        control.cmd("XADD", key, "*", "role", "assistant", "data", "x" * 90)
        for r in readers:
            reply = r.read()
            if not (isinstance(reply, list) and len(reply) == 1):
                raise RuntimeError("%s: a reader got %r, not one stream's entries"
                                   % (server.kind, reply))
            r.sock.sendall(request)
        _wait_blocked(control, n)
        time.sleep(scenario["settle_s"])
        served = rss_bytes(server.pid)
    finally:
        for r in readers:
            r.close()
        control.close()
    return {
        "readers": n,
        "rss_before": before,
        "rss_parked": parked,
        "rss_served": served,
        "bytes_per_reader_parked": (parked - before) / n,
        "bytes_per_reader_served": (served - before) / n,
    }
