/**
 * Step 2: heap bytes per in-flight request. A child process holds N requests open until all
 * have arrived; the heap (after a forced GC) with N in flight, minus the heap before, over N.
 * Variants are interleaved in rotating order and paired against bare axios in each round.
 */

import { fork } from 'node:child_process';
import http from 'node:http';
import type { Variant } from './common.js';
import { create, environment, gc, median, message, rotate, table, VARIANTS, writeSection } from './common.js';

export async function memory(options: { rounds: number; inFlight: number }): Promise<string> {
  const child = fork(new URL('./hold-server.mjs', import.meta.url));
  const port = await message<number>(child, 'port');
  const perRound: Record<Variant, number[]> = {
    'bare axios': [],
    'axios-rebound': [],
    'axios-retry': [],
    'retry-axios': [],
  };
  try {
    for (let round = 0; round <= options.rounds; round++) {
      for (const variant of rotate(VARIANTS, round)) {
        // A fresh agent and instance per block, so no block inherits another's pooled sockets.
        const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
        const api = create(variant, { baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
        child.send({ expect: options.inFlight });
        gc();
        const before = process.memoryUsage().heapUsed;
        const arrived = message<number>(child, 'arrived');
        // Keep no response once it is back: a kept response would hold its socket into the next block.
        const calls = Array.from({ length: options.inFlight }, () => api.get('/hold').then(() => undefined));
        await arrived;
        gc();
        const during = process.memoryUsage().heapUsed;
        child.send({ release: true });
        await Promise.all(calls);
        calls.length = 0;
        agent.destroy();
        // Let the destroyed sockets close and drop their last references before the next block.
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (round > 0) perRound[variant].push((during - before) / options.inFlight);
        process.stderr.write('.');
      }
    }
  } finally {
    child.send({ exit: true });
  }
  const bare = perRound['bare axios'];
  const rows = VARIANTS.map((v) => {
    const runs = perRound[v];
    const diffs = runs.map((x, i) => x - (bare[i] ?? NaN));
    return [
      v,
      Math.round(median(runs)),
      v === 'bare axios' ? '–' : `${median(diffs) >= 0 ? '+' : ''}${Math.round(median(diffs))}`,
    ];
  });
  const body = [
    `Command: \`npm run bench -- memory\` (${options.inFlight} requests in flight per block, ${options.rounds} rounds after a warm-up round, server in a child process). ${environment()}.`,
    table(['variant', 'heap bytes per in-flight request (median)', 'Δ vs bare (paired median)'], rows),
  ].join('\n\n');
  writeSection('2. Heap per in-flight request', body);
  return body;
}
