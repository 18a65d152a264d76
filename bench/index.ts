/**
 * npm run bench [-- overhead|memory|flaky|outage|herd|batch|ratelimit|testmode|hedge ...] [--rounds N] [--quick]
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
  options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false } },
});
const quick = values.quick ?? false;
const rounds = Number(values.rounds ?? (quick ? 2 : 5));

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
  hedge: () => hedge(),
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
