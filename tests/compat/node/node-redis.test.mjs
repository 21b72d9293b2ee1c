// node-redis (the `redis` package) against the server under test, with RESP2 and RESP3:
// streams, blocking reads on a duplicated connection, pipelines with and without MULTI,
// WATCH, pub/sub, consumer groups and ErrorReply.
import assert from 'node:assert/strict';
import { createClient, ErrorReply, WatchError } from 'redis';
import { HOST, PORT, RINGBUS, test, until, waitBlocked } from './harness.mjs';

async function connect(protocol, options = {}) {
  const c = createClient({
    socket: { host: HOST, port: PORT, reconnectStrategy: false },
    RESP: protocol,
    ...options,
  });
  c.on('error', () => {}); // surfaced by the command that failed
  await c.connect();
  return c;
}

async function withClients(protocol, fn) {
  const opened = [];
  const open = async (options) => {
    const c = await connect(protocol, options);
    opened.push(c);
    return c;
  };
  try {
    return await fn(open);
  } finally {
    for (const c of opened) c.destroy();
  }
}

const streamOf = (reply, key) => (reply || []).find((s) => s.name === key)?.messages ?? [];

for (const protocol of [2, 3]) {
  const T = (name, fn, opts) => test(`node-redis resp${protocol} ${name}`, (prefix) => withClients(protocol, (open) => fn(open, prefix)), opts);

  T('stream commands', async (open, p) => {
    const r = await open();
    const k = `${p}:events`;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await r.xAdd(k, '*', { n: String(i), role: 'user' }));
    assert.equal(await r.xLen(k), 5);
    const all = await r.xRange(k, '-', '+');
    assert.deepEqual(all.map((e) => e.id), ids);
    assert.deepEqual({ ...all[0].message }, { n: '0', role: 'user' });
    assert.deepEqual((await r.xRange(k, ids[1], ids[3])).map((e) => e.id), ids.slice(1, 4));
    assert.deepEqual((await r.xRange(k, `(${ids[1]}`, '+', { COUNT: 2 })).map((e) => e.id), ids.slice(2, 4));
    assert.deepEqual((await r.xRevRange(k, '+', '-', { COUNT: 2 })).map((e) => e.id), [ids[4], ids[3]]);
    assert.equal(await r.xDel(k, [ids[0], '999999999999-0']), 1);
    assert.equal(await r.xTrim(k, 'MAXLEN', 3), 1);
    assert.equal(await r.xTrim(k, 'MINID', ids[3]), 1);
    assert.deepEqual((await r.xRange(k, '-', '+')).map((e) => e.id), ids.slice(3));
    assert.equal(await r.xAddNoMkStream(`${p}:x`, '*', { a: '1' }), null);
    assert.equal(await r.xAdd(`${p}:ids`, '5-1', { a: '1' }), '5-1');
    assert.equal(await r.xAdd(`${p}:ids`, '5-*', { a: '2' }), '5-2');
    for (let i = 0; i < 20; i++) {
      await r.xAdd(`${p}:capped`, '*', { i: String(i) }, { TRIM: { strategy: 'MAXLEN', threshold: 10 } });
    }
    assert.equal(await r.xLen(`${p}:capped`), 10);
    assert.equal(await r.type(k), 'stream');
  });

  T('xread catch-up across streams', async (open, p) => {
    const r = await open();
    const a = `{${p}}:conversation`;
    const b = `{${p}}:insights`;
    const ida = [await r.xAdd(a, '*', { text: 'hi' }), await r.xAdd(a, '*', { text: 'there' })];
    const idb = await r.xAdd(b, '*', { kind: 'sentiment' });
    const reply = await r.xRead([{ key: a, id: '0' }, { key: b, id: '0' }], { COUNT: 10 });
    assert.deepEqual(streamOf(reply, a).map((e) => e.id), ida);
    assert.deepEqual(streamOf(reply, b).map((e) => [e.id, { ...e.message }]), [[idb, { kind: 'sentiment' }]]);
    assert.equal(await r.xRead({ key: a, id: ida[1] }), null);
    assert.equal(await r.xRead({ key: a, id: '$' }, { BLOCK: 50 }), null);
  });

  T('track capped at 1000 (ringbus-specific)', async (open, p) => {
    const r = await open();
    const k = `${p}-s1:conversation`;
    const ids = await Promise.all(Array.from({ length: 1500 }, (_, i) => r.xAdd(k, '*', { i: String(i) })));
    // ringbus keeps the newest 1000 entries of a track; Redis keeps all of them.
    assert.equal(await r.xLen(k), RINGBUS ? 1000 : 1500);
    const [first] = await r.xRange(k, '-', '+', { COUNT: 1 });
    assert.equal(first.id, ids[RINGBUS ? 500 : 0]);
  });

  T('blocking xread woken by xadd', async (open, p) => {
    const r = await open();
    const name = `${p}-reader`;
    const reader = await open({ name });
    const k = `${p}:tail`;
    await r.xAdd(k, '*', { n: '0' });
    const pending = reader.xRead({ key: k, id: '$' }, { BLOCK: 5000 });
    await waitBlocked(() => r.clientList().then((cs) => cs.map((c) => `name=${c.name} flags=${c.flags}`).join('\n')), name);
    const id = await r.xAdd(k, '*', { n: '1' });
    const reply = await pending;
    assert.deepEqual(streamOf(reply, k).map((e) => [e.id, { ...e.message }]), [[id, { n: '1' }]]);
  });

  T('concurrent commands on one connection', async (open, p) => {
    const r = await open();
    const k = `${p}:many`;
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => r.xAdd(k, '*', { i: String(i) })));
    assert.equal(new Set(ids).size, 200);
    const entries = await r.xRange(k, '-', '+');
    assert.deepEqual(entries.map((e) => e.message.i), Array.from({ length: 200 }, (_, i) => String(i)));
  });

  T('pipeline without transaction', async (open, p) => {
    const r = await open();
    const k = `${p}:pipe`;
    const res = await r.multi()
      .xAdd(k, '5-0', { a: '1' })
      .xLen(k)
      .xRange(k, '-', '+')
      .execAsPipeline();
    assert.equal(res[0], '5-0');
    assert.equal(res[1], 1);
    assert.deepEqual(res[2].map((e) => e.id), ['5-0']);
    // An error in a pipeline rejects it; the connection stays usable.
    await assert.rejects(r.multi().xAdd(k, '4-0', { a: '2' }).xLen(k).execAsPipeline(), (e) => {
      const err = e.errorIndexes ? e.replies[e.errorIndexes[0]] : e;
      return /equal or smaller than the target stream top item/.test(String(err.message ?? err));
    });
    assert.equal(await r.xLen(k), 1);
  });

  T('errors are ErrorReply with Redis text', async (open, p) => {
    const r = await open();
    const k = `${p}:errs`;
    await assert.rejects(r.xAdd(k, 'not-an-id', { f: 'v' }), (e) => e instanceof ErrorReply && e.message === 'ERR Invalid stream ID specified as stream command argument');
    await assert.rejects(r.xAdd(k, '0-0', { f: 'v' }), { message: 'ERR The ID specified in XADD must be greater than 0-0' });
    await assert.rejects(r.sendCommand(['XADD', k, '1-1', 'f']), { message: "ERR wrong number of arguments for 'xadd' command" });
    await assert.rejects(r.sendCommand(['XREAD', 'STREAMS', k, `${k}2`, '0']), { message: "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified." });
    await assert.rejects(r.xRange(k, 'x', '+'), { message: 'ERR Invalid stream ID specified as stream command argument' });
    assert.equal(await r.xLen(k), 0);
  });

  T('multi/exec', async (open, p) => {
    const r = await open();
    const k = `${p}:tx`;
    const res = await r.multi().xAdd(k, '1-0', { a: '1' }).xLen(k).exec();
    assert.deepEqual(res, ['1-0', 1]);
    // A command rejected while queueing aborts the whole transaction.
    await assert.rejects(r.multi().xAdd(k, '2-0', { a: '2' }).addCommand(['XADD', k]).exec(), (e) => /EXECABORT|wrong number of arguments/.test(String(e.message)));
    assert.equal(await r.xLen(k), 1);
  });

  T('watch aborts the transaction when the key changes', async (open, p) => {
    const r = await open();
    const other = await open();
    const k = `${p}:watched`;
    await r.xAdd(k, '*', { v: '0' });
    await r.watch(k);
    await other.xAdd(k, '*', { v: 'other' });
    await assert.rejects(r.multi().xAdd(k, '*', { v: 'mine' }).exec(), (e) => e instanceof WatchError);
    assert.equal(await r.xLen(k), 2);
    await r.watch(k);
    assert.equal((await r.multi().xAdd(k, '*', { v: 'again' }).exec()).length, 1);
    assert.equal(await r.xLen(k), 3);
  });

  T('pub/sub', async (open, p) => {
    const r = await open();
    const sub = await open();
    const ch = `${p}:chan`;
    const messages = [];
    await sub.subscribe(ch, (message, channel) => messages.push(['message', channel, message]));
    await sub.pSubscribe(`${p}:*`, (message, channel) => messages.push(['pmessage', channel, message]));
    assert.equal(await r.publish(ch, 'hello'), 2);
    await until(() => messages.length === 2, 'two messages');
    assert.deepEqual(messages.find((m) => m[0] === 'message'), ['message', ch, 'hello']);
    assert.deepEqual(messages.find((m) => m[0] === 'pmessage'), ['pmessage', ch, 'hello']);
    assert.deepEqual({ ...(await r.pubSubNumSub(ch)) }, { [ch]: 1 });
    await sub.unsubscribe(ch);
    await sub.pUnsubscribe();
    assert.equal(await r.publish(ch, 'nobody'), 0);
  });

  T('consumer groups', async (open, p) => {
    const r = await open();
    const k = `${p}:jobs`;
    assert.equal(await r.xGroupCreate(k, 'workers', '0', { MKSTREAM: true }), 'OK');
    await assert.rejects(r.xGroupCreate(k, 'workers', '0'), { message: 'BUSYGROUP Consumer Group name already exists' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await r.xAdd(k, '*', { job: String(i) }));
    const got = await r.xReadGroup('workers', 'alice', { key: k, id: '>' }, { COUNT: 3 });
    assert.deepEqual(streamOf(got, k).map((e) => e.id), ids.slice(0, 3));
    await r.xReadGroup('workers', 'bob', { key: k, id: '>' });
    const summary = await r.xPending(k, 'workers');
    assert.equal(summary.pending, 5);
    assert.equal(summary.firstId, ids[0]);
    assert.equal(summary.lastId, ids[4]);
    assert.deepEqual(summary.consumers.map((c) => [c.name, Number(c.deliveriesCounter)]), [['alice', 3], ['bob', 2]]);
    assert.equal(await r.xAck(k, 'workers', [ids[0], ids[1]]), 2);
    const detail = await r.xPendingRange(k, 'workers', '-', '+', 10);
    assert.deepEqual(detail.map((d) => [d.id, d.consumer, d.deliveriesCounter]), [
      [ids[2], 'alice', 1],
      [ids[3], 'bob', 1],
      [ids[4], 'bob', 1],
    ]);
    const claimed = await r.xClaim(k, 'workers', 'carol', 0, ids[2]);
    assert.deepEqual(claimed.map((e) => [e.id, { ...e.message }]), [[ids[2], { job: '2' }]]);
    const auto = await r.xAutoClaim(k, 'workers', 'dave', 0, '0-0', { COUNT: 10 });
    assert.equal(auto.nextId, '0-0');
    assert.deepEqual(auto.messages.map((e) => e.id), ids.slice(2));
    assert.deepEqual([...auto.deletedMessages], []);
    const [group] = await r.xInfoGroups(k);
    assert.equal(group.name, 'workers');
    assert.equal(group.pending, 3);
    assert.equal(group['last-delivered-id'], ids[4]);
    assert.equal(group.lag, 0);
    const consumers = await r.xInfoConsumers(k, 'workers');
    assert.deepEqual(consumers.map((c) => c.name).sort(), ['alice', 'bob', 'carol', 'dave']);
    await assert.rejects(r.xReadGroup('nosuch', 'c', { key: k, id: '>' }), {
      message: `NOGROUP No such key '${k}' or consumer group 'nosuch' in XREADGROUP with GROUP option`,
    });
  });

  T('blocking xreadgroup woken by xadd', async (open, p) => {
    const r = await open();
    const name = `${p}-grp`;
    const reader = await open({ name });
    const k = `${p}:grp-block`;
    await r.xGroupCreate(k, 'g', '$', { MKSTREAM: true });
    const pending = reader.xReadGroup('g', 'c', { key: k, id: '>' }, { BLOCK: 5000 });
    await waitBlocked(() => r.clientList().then((cs) => cs.map((c) => `name=${c.name} flags=${c.flags}`).join('\n')), name);
    const id = await r.xAdd(k, '*', { task: 'wake' });
    assert.deepEqual(streamOf(await pending, k).map((e) => e.id), [id]);
  });
}
