// A tiny test runner for the client-library suites: tests register with `test`, run one
// after another with a time limit each, and the run ends with `node: N passed, N failed`.
// The server comes from RINGBUS_HOST / RINGBUS_PORT; COMPAT_TARGET=redis marks a plain
// redis-server 7.0.15 (used to validate every test), where ringbus-only assertions are
// skipped or take Redis's answer.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export const HOST = process.env.RINGBUS_HOST || '127.0.0.1';
export const PORT = Number(process.env.RINGBUS_PORT);
if (!PORT) throw new Error('set RINGBUS_PORT');
export const TARGET = process.env.COMPAT_TARGET || 'ringbus';
if (!['ringbus', 'redis'].includes(TARGET)) throw new Error(`COMPAT_TARGET must be ringbus or redis, not ${TARGET}`);
export const RINGBUS = TARGET === 'ringbus';

const tests = [];

/** Registers a test; `fn` gets a fresh key prefix whose keys are deleted afterwards. */
export function test(name, fn, { ringbusOnly = false, timeoutMs = 20000 } = {}) {
  tests.push({ name, fn, ringbusOnly, timeoutMs });
}

/** Waits until the connection named `name` is blocked (flags=b in CLIENT LIST);
 * `clientList` returns CLIENT LIST's text. */
export async function waitBlocked(clientList, name, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = String(await clientList());
    for (const line of text.split('\n')) {
      const fields = Object.fromEntries(line.trim().split(' ').map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      }));
      if (fields.name === name && (fields.flags || '').includes('b')) return;
    }
    await sleep(10);
  }
  throw new Error(`client ${name} never blocked`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate()` is true, or throws after `timeoutMs`. */
export async function until(predicate, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function cleanup(prefix) {
  const r = new Redis({ host: HOST, port: PORT, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      if (keys.length) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Runs every registered test whose name contains `filter`, prints the summary, and
 * exits non-zero on any failure. */
export async function run(filter = '') {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests) {
    if (filter && !t.name.includes(filter)) continue;
    if (t.ringbusOnly && !RINGBUS) {
      skipped++;
      console.log(`skip ${t.name} (ringbus-specific)`);
      continue;
    }
    const prefix = `compat-node-${randomBytes(6).toString('hex')}`;
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        t.fn(prefix),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      passed++;
      console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n     ') : e}`);
    } finally {
      clearTimeout(timer);
      await cleanup(prefix).catch(() => {});
    }
  }
  console.log(`node: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed;
}
