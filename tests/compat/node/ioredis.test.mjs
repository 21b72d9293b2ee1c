// ioredis against the server under test, with RESP2 and RESP3 (ioredis 6 speaks RESP3
// by default): streams, blocking reads on a second connection, pipelines with and
// without MULTI, WATCH, pub/sub, consumer groups and ReplyError.
import assert from 'node:assert/strict';
import Redis, { ReplyError } from 'ioredis';
import { HOST, PORT, RINGBUS, test, until, waitBlocked } from './harness.mjs';

async function connect(protocol, options = {}) {
  const r = new Redis({
    host: HOST,
    port: PORT,
    protocol,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    ...options,
  });
  await r.connect();
  return r;
}

/** Runs `fn` with clients it asks for, closing them all afterwards. */
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
    for (const c of opened) c.disconnect();
  }
}

const fields = (flat) => Object.fromEntries(flat.reduce((acc, v, i) => (i % 2 ? acc[acc.length - 1].push(v) : acc.push([v]), acc), []));
const streamOf = (reply, key) => (reply || []).find(([k]) => k === key)?.[1] ?? [];

for (const protocol of [2, 3]) {
  const T = (name, fn, opts) => test(`ioredis resp${protocol} ${name}`, (prefix) => withClients(protocol, (open) => fn(open, prefix)), opts);

  T('stream commands', async (open, p) => {
    const r = await open();
    const k = `${p}:events`;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await r.xadd(k, '*', 'n', String(i), 'role', 'user'));
    assert.equal(await r.xlen(k), 5);
    const all = await r.xrange(k, '-', '+');
    assert.deepEqual(all.map(([id]) => id), ids);
    assert.deepEqual(fields(all[0][1]), { n: '0', role: 'user' });
    assert.deepEqual(await r.xrange(k, ids[1], ids[3]), all.slice(1, 4));
    assert.deepEqual(await r.xrange(k, `(${ids[1]}`, '+', 'COUNT', 2), all.slice(2, 4));
    assert.deepEqual(await r.xrevrange(k, '+', '-', 'COUNT', 2), [all[4], all[3]]);
    assert.equal(await r.xdel(k, ids[0], '999999999999-0'), 1);
    assert.equal(await r.xtrim(k, 'MAXLEN', 3), 1);
    assert.equal(await r.xtrim(k, 'MINID', ids[3]), 1);
    assert.deepEqual((await r.xrange(k, '-', '+')).map(([id]) => id), ids.slice(3));
    assert.equal(await r.xadd(`${p}:x`, 'NOMKSTREAM', '*', 'a', '1'), null);
    assert.equal(await r.xadd(`${p}:ids`, '5-1', 'a', '1'), '5-1');
    assert.equal(await r.xadd(`${p}:ids`, '5-*', 'a', '2'), '5-2');
    for (let i = 0; i < 20; i++) await r.xadd(`${p}:capped`, 'MAXLEN', '10', '*', 'i', String(i));
    assert.equal(await r.xlen(`${p}:capped`), 10);
    assert.equal(await r.type(k), 'stream');
  });

  T('xread catch-up across streams', async (open, p) => {
    const r = await open();
    const a = `{${p}}:conversation`;
    const b = `{${p}}:insights`;
    const ida = [await r.xadd(a, '*', 'text', 'hi'), await r.xadd(a, '*', 'text', 'there')];
    const idb = await r.xadd(b, '*', 'kind', 'sentiment');
    const reply = await r.xread('COUNT', 10, 'STREAMS', a, b, '0', '0');
    assert.deepEqual(streamOf(reply, a).map(([id]) => id), ida);
    assert.deepEqual(streamOf(reply, b), [[idb, ['kind', 'sentiment']]]);
    assert.equal(await r.xread('STREAMS', a, ida[1]), null);
    assert.equal(await r.xread('BLOCK', 50, 'STREAMS', a, '$'), null);
  });

  T('track capped at 1000 (ringbus-specific)', async (open, p) => {
    const r = await open();
    const k = `${p}-s1:conversation`;
    const pipe = r.pipeline();
    for (let i = 0; i < 1500; i++) pipe.xadd(k, '*', 'i', String(i));
    const res = await pipe.exec();
    assert.ok(res.every(([err]) => err === null));
    // ringbus keeps the newest 1000 entries of a track; Redis keeps all of them.
    assert.equal(await r.xlen(k), RINGBUS ? 1000 : 1500);
    const [first] = await r.xrange(k, '-', '+', 'COUNT', 1);
    assert.equal(first[0], res[RINGBUS ? 500 : 0][1]);
  });

  T('SESSION.END ends both tracks (ringbus-specific)', async (open, p) => {
    const r = await open();
    const sid = `{${p}}`;
    await r.xadd(`${sid}:conversation`, '*', 'a', '1');
    await r.xadd(`${sid}:insights`, '*', 'b', '2');
    assert.notEqual(await r.call('SESSION.INFO', sid), null);
    assert.equal(await r.call('SESSION.END', sid), 2);
    assert.equal(await r.exists(`${sid}:conversation`, `${sid}:insights`), 0);
  }, { ringbusOnly: true });

  T('blocking xread woken by xadd', async (open, p) => {
    const r = await open();
    const name = `${p}-reader`;
    const reader = await open({ connectionName: name });
    const k = `${p}:tail`;
    await r.xadd(k, '*', 'n', '0');
    const pending = reader.xread('BLOCK', 5000, 'STREAMS', k, '$');
    await waitBlocked(() => r.client('LIST'), name);
    const id = await r.xadd(k, '*', 'n', '1');
    assert.deepEqual(await pending, [[k, [[id, ['n', '1']]]]]);
  });

  T('concurrent commands on one connection', async (open, p) => {
    const r = await open();
    const k = `${p}:many`;
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => r.xadd(k, '*', 'i', String(i))));
    assert.equal(new Set(ids).size, 200);
    const entries = await r.xrange(k, '-', '+');
    assert.deepEqual(entries.map(([, f]) => f[1]), Array.from({ length: 200 }, (_, i) => String(i)));
  });

  T('pipeline without transaction', async (open, p) => {
    const r = await open();
    const k = `${p}:pipe`;
    const res = await r.pipeline()
      .xadd(k, '5-0', 'a', '1')
      .xadd(k, '4-0', 'a', '2')
      .xlen(k)
      .xrange(k, '-', '+')
      .exec();
    assert.deepEqual(res[0], [null, '5-0']);
    assert.ok(res[1][0] instanceof ReplyError);
    assert.equal(res[1][0].message, 'ERR The ID specified in XADD is equal or smaller than the target stream top item');
    assert.deepEqual(res[2], [null, 1]);
    assert.deepEqual(res[3], [null, [['5-0', ['a', '1']]]]);
  });

  T('errors are ReplyError with Redis text', async (open, p) => {
    const r = await open();
    const k = `${p}:errs`;
    await assert.rejects(r.xadd(k, 'not-an-id', 'f', 'v'), (e) => e instanceof ReplyError && e.message === 'ERR Invalid stream ID specified as stream command argument');
    await assert.rejects(r.xadd(k, '0-0', 'f', 'v'), { message: 'ERR The ID specified in XADD must be greater than 0-0' });
    await assert.rejects(r.call('XADD', k, '1-1', 'f'), { message: "ERR wrong number of arguments for 'xadd' command" });
    await assert.rejects(r.call('XREAD', 'STREAMS', k, `${k}2`, '0'), { message: "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified." });
    await assert.rejects(r.xrange(k, 'x', '+'), { message: 'ERR Invalid stream ID specified as stream command argument' });
    assert.equal(await r.xlen(k), 0);
  });

  T('multi/exec', async (open, p) => {
    const r = await open();
    const k = `${p}:tx`;
    assert.deepEqual(await r.multi().xadd(k, '1-0', 'a', '1').xlen(k).xrange(k, '-', '+').exec(), [
      [null, '1-0'],
      [null, 1],
      [null, [['1-0', ['a', '1']]]],
    ]);
    // A command rejected while queueing aborts the whole transaction.
    await assert.rejects(r.multi().xadd(k, '2-0', 'a', '2').call('XADD', k).exec(), (e) => /EXECABORT/.test(e.message));
    assert.equal(await r.xlen(k), 1);
  });

  T('watch aborts the transaction when the key changes', async (open, p) => {
    const r = await open();
    const other = await open();
    const k = `${p}:watched`;
    await r.xadd(k, '*', 'v', '0');
    assert.equal(await r.watch(k), 'OK');
    await other.xadd(k, '*', 'v', 'other');
    assert.equal(await r.multi().xadd(k, '*', 'v', 'mine').exec(), null);
    assert.equal(await r.xlen(k), 2);
    await r.watch(k);
    assert.equal((await r.multi().xadd(k, '*', 'v', 'again').exec()).length, 1);
    assert.equal(await r.xlen(k), 3);
  });

  T('pub/sub', async (open, p) => {
    const r = await open();
    const sub = await open();
    const ch = `${p}:chan`;
    const messages = [];
    sub.on('message', (channel, message) => messages.push(['message', channel, message]));
    sub.on('pmessage', (pattern, channel, message) => messages.push(['pmessage', pattern, channel, message]));
    assert.equal(await sub.subscribe(ch), 1);
    assert.equal(await sub.psubscribe(`${p}:*`), 2);
    assert.equal(await r.publish(ch, 'hello'), 2);
    await until(() => messages.length === 2, 'two messages');
    assert.deepEqual(messages.find((m) => m[0] === 'message'), ['message', ch, 'hello']);
    assert.deepEqual(messages.find((m) => m[0] === 'pmessage'), ['pmessage', `${p}:*`, ch, 'hello']);
    assert.deepEqual(await r.pubsub('NUMSUB', ch), [ch, 1]);
    await sub.unsubscribe(ch);
    await sub.punsubscribe();
    assert.equal(await r.publish(ch, 'nobody'), 0);
  });

  T('consumer groups', async (open, p) => {
    const r = await open();
    const k = `${p}:jobs`;
    assert.equal(await r.xgroup('CREATE', k, 'workers', '0', 'MKSTREAM'), 'OK');
    await assert.rejects(r.xgroup('CREATE', k, 'workers', '0'), { message: 'BUSYGROUP Consumer Group name already exists' });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await r.xadd(k, '*', 'job', String(i)));
    const got = await r.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', 3, 'STREAMS', k, '>');
    assert.deepEqual(streamOf(got, k).map(([id]) => id), ids.slice(0, 3));
    await r.xreadgroup('GROUP', 'workers', 'bob', 'STREAMS', k, '>');
    assert.deepEqual(await r.xpending(k, 'workers'), [5, ids[0], ids[4], [['alice', '3'], ['bob', '2']]]);
    assert.equal(await r.xack(k, 'workers', ids[0], ids[1]), 2);
    const detail = await r.xpending(k, 'workers', '-', '+', 10);
    assert.deepEqual(detail.map(([id, consumer, , count]) => [id, consumer, count]), [
      [ids[2], 'alice', 1],
      [ids[3], 'bob', 1],
      [ids[4], 'bob', 1],
    ]);
    const claimed = await r.xclaim(k, 'workers', 'carol', 0, ids[2]);
    assert.deepEqual(claimed, [[ids[2], ['job', '2']]]);
    const [next, auto, deleted] = await r.xautoclaim(k, 'workers', 'dave', 0, '0-0', 'COUNT', 10);
    assert.equal(next, '0-0');
    assert.deepEqual(auto.map(([id]) => id), ids.slice(2));
    assert.deepEqual(deleted, []);
    const [group] = await r.xinfo('GROUPS', k);
    const info = fields(group);
    assert.equal(info.name, 'workers');
    assert.equal(info.pending, 3);
    assert.equal(info['last-delivered-id'], ids[4]);
    assert.equal(info.lag, 0);
    await assert.rejects(r.xreadgroup('GROUP', 'nosuch', 'c', 'STREAMS', k, '>'), {
      message: `NOGROUP No such key '${k}' or consumer group 'nosuch' in XREADGROUP with GROUP option`,
    });
  });

  T('blocking xreadgroup woken by xadd', async (open, p) => {
    const r = await open();
    const name = `${p}-grp`;
    const reader = await open({ connectionName: name });
    const k = `${p}:grp-block`;
    await r.xgroup('CREATE', k, 'g', '$', 'MKSTREAM');
    const pending = reader.xreadgroup('GROUP', 'g', 'c', 'BLOCK', 5000, 'STREAMS', k, '>');
    await waitBlocked(() => r.client('LIST'), name);
    const id = await r.xadd(k, '*', 'task', 'wake');
    assert.deepEqual(await pending, [[k, [[id, ['task', 'wake']]]]]);
  });
}
