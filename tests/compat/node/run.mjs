// Runs the ioredis and node-redis suites: `node run.mjs [name-filter]`.
import { run } from './harness.mjs';
import './ioredis.test.mjs';
import './node-redis.test.mjs';

const failed = await run(process.argv[2] || '');
// Clients a failed test left open must not keep the process alive.
process.exit(failed === 0 ? 0 : 1);
