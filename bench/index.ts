/**
 * npm run bench [-- overhead|memory|flaky|outage|herd|batch|ratelimit|testmode|hedge ...] [--rounds N] [--quick] [--rate N (hedge)]
 * Runs the named steps (all by default), prints their tables and writes bench/RESULTS.md.
 */
import { parseArgs } from 'node:util';
import { batch } from './batch.js';
import { flaky } from './flaky.js';
import { hedge } from './hedge.js';
import { herd } from './herd.js';
import { memory } from './memory.js';
import { outage } from './outage.js';
import { overhead } from './overhead.js';
import { ratelimit } from './ratelimit.js';
import { testmode } from './testmode.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false }, rate: { type: 'string' } },
});
const quick = values.quick ?? false;
const rounds = Number(values.rounds ?? (quick ? 2 : 5));
if (values.rate !== undefined && !(Number(values.rate) > 0)) {
  console.error(`--rate must be a number of calls per second > 0; got "${values.rate}"`);
  process.exit(2);
}

const steps: Record<string, () => Promise<string>> = {
  overhead: () => overhead({ rounds, requests: quick ? 10_000 : 100_000 }),
  memory: () => memory({ rounds, inFlight: quick ? 2000 : 10_000 }),
  flaky: () => flaky({ rounds: Math.min(rounds, 5) }),
  outage: () => outage({ rounds: Math.min(rounds, 3) }),
  herd: () => herd({ runs: quick ? 20 : 100 }),
  batch: () => batch({ rounds: quick ? 1 : 3 }),
  // One round unless --rounds says otherwise: a round takes about 6 minutes (5 clients × 3 modes).
  ratelimit: () =>
    ratelimit({ rounds: values.rounds ? rounds : 1, perCaller: quick ? 2 : 20, capMs: quick ? 5000 : 30_000 }),
  testmode: () => testmode({ rounds }),
  // Three rounds unless --rounds says otherwise: a round takes about 2 minutes (3 servers × 5 clients).
  hedge: () =>
    hedge({ rounds: values.rounds ? rounds : quick ? 1 : 3, ...(values.rate ? { rate: Number(values.rate) } : {}) }),
};
const chosen = positionals.length ? positionals : Object.keys(steps);
for (const name of chosen) {
  const step = steps[name];
  if (!step) {
    console.error(`unknown step "${name}"; steps: ${Object.keys(steps).join(', ')}`);
    process.exit(2);
  }
  const started = Date.now();
  const report = await step();
  console.log(`\n${report}\n\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
