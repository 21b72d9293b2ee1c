"""Pub/sub through redis-py's PubSub object: SUBSCRIBE, PSUBSCRIBE, PUBLISH, message
receipt (push messages under RESP3), PUBSUB introspection, UNSUBSCRIBE."""

import threading
import time

from conftest import connect


def _next_message(p, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = p.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if msg is not None:
            return msg
    raise AssertionError("no message within the timeout")


def test_subscribe_publish_unsubscribe(r, prefix):
    ch = f"{prefix}:chan"
    p = r.pubsub()
    try:
        p.subscribe(ch)
        confirm = p.get_message(timeout=5)
        assert confirm["type"] == "subscribe"
        assert confirm["channel"] == ch
        assert confirm["data"] == 1
        assert r.publish(ch, "hello") == 1
        msg = _next_message(p)
        assert msg["type"] == "message"
        assert msg["channel"] == ch
        assert msg["data"] == "hello"
        assert r.pubsub_numsub(ch) == [(ch, 1)]
        assert ch in r.pubsub_channels(f"{prefix}:*")
        p.unsubscribe(ch)
        gone = p.get_message(timeout=5)
        assert gone["type"] == "unsubscribe"
        assert gone["data"] == 0
        assert r.publish(ch, "nobody") == 0
    finally:
        p.close()


def test_psubscribe_pattern(r, prefix):
    p = r.pubsub()
    try:
        p.psubscribe(f"{prefix}:session.*")
        confirm = p.get_message(timeout=5)
        assert confirm["type"] == "psubscribe"
        assert r.publish(f"{prefix}:session.42", "ended") == 1
        msg = _next_message(p)
        assert msg["type"] == "pmessage"
        assert msg["pattern"] == f"{prefix}:session.*"
        assert msg["channel"] == f"{prefix}:session.42"
        assert msg["data"] == "ended"
        assert r.pubsub_numpat() >= 1
        p.punsubscribe()
        assert p.get_message(timeout=5)["type"] == "punsubscribe"
    finally:
        p.close()


def test_handler_in_a_thread(r, prefix):
    ch = f"{prefix}:worker"
    received = []
    done = threading.Event()

    def handler(msg):
        received.append(msg["data"])
        if len(received) == 3:
            done.set()

    p = r.pubsub()
    p.subscribe(**{ch: handler})
    worker = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        deadline = time.monotonic() + 5
        while r.pubsub_numsub(ch)[0][1] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(3):
            r.publish(ch, f"m{i}")
        assert done.wait(5)
        assert received == ["m0", "m1", "m2"]
    finally:
        worker.stop()
        worker.join(5)
        p.close()


def test_many_channels_one_connection(r, protocol, prefix):
    chans = [f"{prefix}:c{i}" for i in range(5)]
    publisher = connect(protocol)
    p = r.pubsub(ignore_subscribe_messages=True)
    try:
        p.subscribe(*chans)
        for c in chans:
            publisher.publish(c, c.upper())
        got = [_next_message(p)["data"] for _ in chans]
        assert got == [c.upper() for c in chans]
        assert p.subscribed
        p.unsubscribe()
        deadline = time.monotonic() + 5
        while p.subscribed and time.monotonic() < deadline:
            p.get_message(timeout=0.1)
        assert not p.subscribed
    finally:
        publisher.close()
        p.close()
