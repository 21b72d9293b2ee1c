"""Pipelines without a transaction: many commands written at once, replies in order,
an error in the middle answered in place without stopping the rest."""

import redis


def test_pipeline_stream_flow(r, prefix):
    k = f"{prefix}:pipe"
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.xadd(k, {"i": str(i)})
    pipe.xlen(k)
    pipe.xrange(k, count=2)
    pipe.xrevrange(k, count=1)
    res = pipe.execute()
    ids = res[:100]
    assert res[100] == 100
    assert res[101] == [(ids[0], {"i": "0"}), (ids[1], {"i": "1"})]
    assert res[102] == [(ids[99], {"i": "99"})]


def test_pipeline_error_in_the_middle(r, prefix):
    k = f"{prefix}:pipe-err"
    pipe = r.pipeline(transaction=False)
    pipe.xadd(k, {"a": "1"}, id="5-0")
    pipe.xadd(k, {"a": "2"}, id="4-0")
    pipe.xlen(k)
    res = pipe.execute(raise_on_error=False)
    assert res[0] == "5-0"
    assert isinstance(res[1], redis.ResponseError)
    assert "equal or smaller than the target stream top item" in str(res[1])
    assert res[2] == 1


def test_pipeline_raises_first_error(r, prefix):
    k = f"{prefix}:pipe-raise"
    pipe = r.pipeline(transaction=False)
    pipe.xadd(k, {"a": "1"})
    pipe.execute_command("XADD", k, "bad-id", "f", "v")
    try:
        pipe.execute()
    except redis.ResponseError as e:
        assert "Invalid stream ID specified as stream command argument" in str(e)
    else:
        raise AssertionError("the pipeline did not raise")
    assert r.xlen(k) == 1


def test_large_pipeline_across_several_keys(r, prefix):
    keys = [f"{prefix}:bulk{i}" for i in range(5)]
    pipe = r.pipeline(transaction=False)
    for n in range(2000):
        pipe.xadd(keys[n % 5], {"n": str(n), "payload": "x" * 64})
    res = pipe.execute()
    assert len(res) == 2000
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.xlen(k)
    assert pipe.execute() == [400] * 5
