/**
 * Step 6: a batch of 1 000 items, with retryBatch's defaults, over real sockets on 127.0.0.1:
 * against a dependency that fails 30 % of first attempts, then against one that is down. The
 * batch runs over a bare instance (the batch retries) and over an attached instance (the
 * interceptor retries and the batch does not retry again): layers must not multiply the load.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import { attachRetry, RetryBudget, retryBatch } from '../lib/index.js';
import { environment, median, message, table, writeSection } from './common.js';

const ITEMS = 1000;

type Setup = 'bare instance' | 'attached instance (defaults)' | 'attached instance, budget ratio 1';
const SETUPS: readonly Setup[] = ['bare instance', 'attached instance (defaults)', 'attached instance, budget ratio 1'];

function instance(setup: Setup, port: number, agent: http.Agent): AxiosInstance {
  const api = axios.create({ baseURL: `http://127.0.0.1:${port}`, httpAgent: agent });
  if (setup === 'attached instance (defaults)') attachRetry(api);
  if (setup === 'attached instance, budget ratio 1') attachRetry(api, { budget: new RetryBudget({ ratio: 1 }) });
  return api;
}

export async function batch(options: { rounds: number }): Promise<string> {
  const child = fork(new URL('./batch-server.mjs', import.meta.url));
  const port = await message<number>(child, 'port');
  const rows: (string | number)[][] = [];
  try {
    for (const mode of ['flaky', 'down'] as const) {
      for (const setup of SETUPS) {
        const runs: { perItem: number; completed: number; seconds: number }[] = [];
        for (let round = 0; round < options.rounds; round++) {
          child.send({ mode });
          await message(child, 'ready');
          const agent = new http.Agent({ keepAlive: true });
          const api = instance(setup, port, agent);
          const items = Array.from({ length: ITEMS }, (_, i) => i);
          const started = performance.now();
          const report = await retryBatch(items, async (id) => (await api.get(`/item/${id}`)).data, {
            key: (id) => id,
          });
          const seconds = (performance.now() - started) / 1000;
          child.send({ report: true });
          const counts = await message<{ requests: number }>(child, 'counts');
          agent.destroy();
          runs.push({ perItem: counts.requests / ITEMS, completed: report.succeeded.size, seconds });
          process.stderr.write('.');
        }
        rows.push([
          mode === 'flaky' ? '30 % of first attempts fail' : 'down (every request 503)',
          setup,
          median(runs.map((r) => r.perItem)).toFixed(3),
          `${median(runs.map((r) => r.completed))} / ${ITEMS}`,
          median(runs.map((r) => r.seconds)).toFixed(2),
        ]);
      }
    }
  } finally {
    child.send({ exit: true });
  }
  const body = [
    `Command: \`npm run bench -- batch\` (${ITEMS} items, retryBatch's defaults: concurrency 8, no budget, a breaker over items; medians of ${options.rounds} runs). ${environment()}.`,
    table(['dependency', 'batch over', 'requests per item', 'items completed', 'seconds'], rows),
  ].join('\n\n');
  writeSection('6. A batch over a flaky and a down dependency', body);
  return body;
}
