"""Resident memory per buffered event: a fresh server's VmRSS before and after
loading sessions x tracks x events with pipelined XADDs, divided by the events."""

import random
import time

from resp import rss_bytes
from workloads import MEMORY, TRACKS

SCENARIOS = MEMORY
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
