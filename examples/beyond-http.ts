/**
 * npm run demo:beyond — the same policy beyond one axios call:
 * 1. retry(fn) around a flaky non-HTTP call,
 * 2. retryBatch over 20 items against a local server (127.0.0.1) that fails each item once,
 * 3. explainPolicy for a POST /predict with an 800 ms p95 SLA.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { explainPolicy, retry, retryBatch } from '../lib/index.js';

// 1. A flaky SDK call, retried with the interceptor's policy.
let calls = 0;
const flakySdkCall = async ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => {
  calls += 1;
  if (signal.aborted) throw signal.reason;
  if (attempt < 3) throw Object.assign(new Error('queue busy'), { code: 'EBUSY' });
  return { messageId: 'm-42' };
};
const sent = await retry(flakySdkCall, { baseDelay: 20, attemptTimeout: 500, name: 'queue.send' });
console.log(`1. retry(fn): ${JSON.stringify(sent)} after ${calls} calls`);

// 2. A batch against a server that fails every item's first request.
const seen = new Map<string, number>();
const server = http.createServer((req, res) => {
  const id = req.url?.split('/').pop() ?? '';
  seen.set(id, (seen.get(id) ?? 0) + 1);
  if (id === 'doc-13') res.writeHead(422).end('unprocessable');
  else if (seen.get(id) === 1) res.writeHead(503).end();
  else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id, embedding: [0.1, 0.2] }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const api = axios.create({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
const docs = Array.from({ length: 20 }, (_, i) => ({ id: `doc-${i}` }));
const report = await retryBatch(docs, async (doc) => (await api.get(`/embed/${doc.id}`)).data, {
  concurrency: 4,
  baseDelay: 10,
});
server.close();
console.log(`2. retryBatch: ${report.succeeded.size} succeeded, ${report.failed.size} failed`);
for (const [id, { error, state }] of report.failed) {
  console.log(`   ${String(id)}: ${(error as Error).message} (${state?.stopReason}, ${state?.attempt} attempt)`);
}
console.log(`   stats: ${JSON.stringify({ ...report.stats, circuits: undefined, budget: undefined })}`);

// 3. Will this policy hold an 800 ms p95 SLA when every attempt fails?
const plan = explainPolicy(
  { attemptTimeout: 350, deadline: 800, retries: 2, baseDelay: 25, maxDelay: 100 },
  { attemptLatencyMs: 120, sla: { p95Ms: 800 } },
);
console.log(
  `3. explainPolicy: ${plan.attempts.length} attempts; gives up after ${Math.round(plan.totalMs.median)} ms (median) / ${Math.round(plan.totalMs.worst)} ms (worst)`,
);
for (const w of plan.warnings) console.log(`   warning: ${w}`);
