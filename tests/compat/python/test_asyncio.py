"""redis.asyncio: the stream flow, a blocking XREAD woken by an XADD from another
connection, concurrent commands on one client, a pipeline, and async pub/sub.

Each test drives its own event loop with asyncio.run, so no pytest plugin is needed."""

import asyncio

import pytest
import redis

from conftest import connect_async, stream_entries


async def _wait_blocked(client, name, timeout=5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for c in await client.client_list():
            if c.get("name") == name and "b" in c.get("flags", ""):
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"client {name} never blocked")


def test_async_stream_flow(protocol, prefix):
    async def flow():
        r = connect_async(protocol)
        try:
            k = f"{prefix}:async"
            ids = [await r.xadd(k, {"i": str(i)}) for i in range(5)]
            assert await r.xlen(k) == 5
            assert [e[0] for e in await r.xrange(k)] == ids
            assert (await r.xrevrange(k, count=1))[0] == (ids[4], {"i": "4"})
            assert await r.xdel(k, ids[0]) == 1
            assert await r.xtrim(k, maxlen=2, approximate=False) == 2
            reply = await r.xread({k: "0"})
            assert [e[0] for e in stream_entries(reply, k)] == ids[3:]
            with pytest.raises(redis.ResponseError, match="Invalid stream ID"):
                await r.xadd(k, {"a": "b"}, id="nope")
        finally:
            await r.aclose()

    asyncio.run(flow())


def test_async_blocking_read_woken_by_xadd(protocol, prefix):
    async def flow():
        name = f"{prefix}-async-reader"
        reader = connect_async(protocol, client_name=name)
        writer = connect_async(protocol)
        try:
            k = f"{{{prefix}}}:conversation"
            await writer.xadd(k, {"n": "0"})
            task = asyncio.create_task(reader.xread({k: "$"}, block=5000))
            await _wait_blocked(writer, name)
            new_id = await writer.xadd(k, {"n": "1"})
            reply = await asyncio.wait_for(task, 5)
            assert stream_entries(reply, k) == [(new_id, {"n": "1"})]
        finally:
            await reader.aclose()
            await writer.aclose()

    asyncio.run(flow())


def test_async_concurrent_producers(protocol, prefix):
    async def flow():
        r = connect_async(protocol)
        try:
            k = f"{prefix}:concurrent"

            async def produce(p):
                for i in range(20):
                    await r.xadd(k, {"p": str(p), "i": str(i)})

            await asyncio.gather(*(produce(p) for p in range(5)))
            assert await r.xlen(k) == 100
            entries = await r.xrange(k)
            for p in range(5):
                mine = [int(f["i"]) for _, f in entries if f["p"] == str(p)]
                assert mine == list(range(20))
        finally:
            await r.aclose()

    asyncio.run(flow())


def test_async_pipeline(protocol, prefix):
    async def flow():
        r = connect_async(protocol)
        try:
            k = f"{prefix}:apipe"
            async with r.pipeline(transaction=False) as pipe:
                for i in range(10):
                    pipe.xadd(k, {"i": str(i)})
                pipe.xlen(k)
                res = await pipe.execute()
            assert res[-1] == 10
        finally:
            await r.aclose()

    asyncio.run(flow())


def test_async_transaction(protocol, prefix):
    async def flow():
        r = connect_async(protocol)
        try:
            k = f"{prefix}:atx"
            async with r.pipeline(transaction=True) as pipe:
                pipe.xadd(k, {"a": "1"}, id="1-0")
                pipe.xlen(k)
                assert await pipe.execute() == ["1-0", 1]
        finally:
            await r.aclose()

    asyncio.run(flow())


def test_async_pubsub(protocol, prefix):
    async def flow():
        r = connect_async(protocol)
        p = r.pubsub()
        try:
            ch = f"{prefix}:achan"
            await p.subscribe(ch)
            confirm = await p.get_message(timeout=5)
            assert confirm["type"] == "subscribe"
            assert await r.publish(ch, "async hello") == 1
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            msg = None
            while msg is None and loop.time() < deadline:
                msg = await p.get_message(ignore_subscribe_messages=True, timeout=0.1)
            assert msg is not None
            assert msg["data"] == "async hello"
            await p.unsubscribe(ch)
        finally:
            await p.aclose()
            await r.aclose()

    asyncio.run(flow())
