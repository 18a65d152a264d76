/**
 * npm run soak [-- --requests 200000 --concurrency 64 --fault-share 0.3]
 *
 * Sends many requests through axios-rebound to a local server on 127.0.0.1 that injects
 * faults (503, 429 with Retry-After: 0, resets before and in the middle of the body) into a
 * share of its answers. Checks that every request settles exactly once, that handle.stats()
 * adds up to the server's own count, and that the heap after a forced GC stays flat.
 * Prints a Markdown summary (and writes it to bench/RESULTS.md with --write).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import axios from 'axios';
import { attachRetry } from '../lib/index.js';
import { prng } from './herd.js';

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '200000' },
    concurrency: { type: 'string', default: '64' },
    'fault-share': { type: 'string', default: '0.3' },
    write: { type: 'boolean', default: false },
  },
});
const total = Number(flags.requests);
const concurrency = Number(flags.concurrency);
const faultShare = Number(flags['fault-share']);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run soak does)');

// A fixed seed, so every soak injects the same faults in the same order.
const random = prng(0x5eed);

const served: Record<string, number> = { ok: 0, '503': 0, '429': 0, 'reset-before': 0, 'reset-mid-body': 0 };
const server = http.createServer((req, res) => {
  const roll = random();
  const fault =
    roll >= faultShare
      ? 'ok'
      : roll < faultShare * 0.35
        ? '503'
        : roll < faultShare * 0.7
          ? 'reset-before'
          : roll < faultShare * 0.85
            ? 'reset-mid-body'
            : '429';
  served[fault] = (served[fault] ?? 0) + 1;
  if (fault === 'ok') res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
  else if (fault === '503') res.writeHead(503).end();
  else if (fault === '429') res.writeHead(429, { 'Retry-After': '0' }).end();
  else if (fault === 'reset-before') req.socket.destroy();
  else {
    res.writeHead(200, { 'Content-Length': '100' }).write('{"partial":');
    setImmediate(() => req.socket.destroy());
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const api = axios.create({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
const handle = attachRetry(api, { retries: 5, baseDelay: 1, maxDelay: 5, attemptTimeout: 5000 });

const settledTwice: number[] = [];
let settled = 0;
let succeeded = 0;
const heap: { done: number; bytes: number }[] = [];
const sampleEvery = Math.max(1000, Math.floor(total / 40));
const started = Date.now();
let next = 0;

async function worker(): Promise<void> {
  while (next < total) {
    const id = next++;
    let count = 0;
    const once = () => {
      count += 1;
      if (count > 1) settledTwice.push(id);
    };
    await api.get(`/r/${id}`).then(
      () => {
        once();
        succeeded += 1;
      },
      () => once(),
    );
    settled += 1;
    if (settled % sampleEvery === 0) {
      gc?.();
      heap.push({ done: settled, bytes: process.memoryUsage().heapUsed });
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (Date.now() - started) / 1000;
await new Promise<void>((resolve) => server.close(() => resolve()));
server.closeAllConnections();

// Least-squares slope of heap against requests, after the first sample (warm-up).
const points = heap.slice(1);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mx = mean(points.map((p) => p.done));
const my = mean(points.map((p) => p.bytes));
const slope =
  points.reduce((a, p) => a + (p.done - mx) * (p.bytes - my), 0) / points.reduce((a, p) => a + (p.done - mx) ** 2, 0);
const stats = handle.stats();
const serverSaw = Object.values(served).reduce((a, b) => a + b, 0);
const checks = {
  'every request settled exactly once': settled === total && settledTwice.length === 0,
  'stats.requests = requests sent': stats.requests === total,
  'stats.attempts = requests the server saw': stats.attempts === serverSaw,
  'stats.successes + failures = requests': stats.successes + stats.failures === total,
  'stats.successes = callers that got a response': stats.successes === succeeded,
  'stats.retries = attempts - requests': stats.retries === stats.attempts - stats.requests,
  // A request context kept alive would cost hundreds of bytes per request; GC noise stays well below 50.
  'heap slope < 50 bytes per request': Math.abs(slope) < 50,
};
const mb = (b: number | undefined) => ((b ?? 0) / 1024 / 1024).toFixed(2);
const report = [
  `## Soak (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, \`npm run soak\`)`,
  '',
  `${total} requests, ${concurrency} at a time, ${Math.round(faultShare * 100)} % of the server's answers faulty, in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} requests/s).`,
  '',
  '| measure | value |',
  '|---|---|',
  `| server answers | ${Object.entries(served)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')} |`,
  `| stats | requests ${stats.requests}, attempts ${stats.attempts}, retries ${stats.retries}, successes ${stats.successes}, failures ${stats.failures} |`,
  `| give-ups | ${
    Object.entries(stats.giveUps)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none'
  } |`,
  `| heap after GC, first → last sample | ${mb(heap[0]?.bytes)} MB → ${mb(heap[heap.length - 1]?.bytes)} MB (${heap.length} samples) |`,
  `| heap slope (least squares, after warm-up) | ${slope.toFixed(3)} bytes per request |`,
  '',
  ...Object.entries(checks).map(([name, ok]) => `- ${ok ? 'PASS' : 'FAIL'}: ${name}`),
  '',
].join('\n');
console.log(report);
if (flags.write) {
  const path = new URL('./RESULTS.md', import.meta.url);
  let existing = '';
  try {
    existing = readFileSync(path, 'utf8');
  } catch {
    existing =
      '# Benchmark and soak results\n\nFigures measured on the project machine (2 cores). Each section says the command that produced it.\n\n';
  }
  const kept = existing.replace(/## Soak[\s\S]*?(?=\n## |$)/, '').trimEnd();
  writeFileSync(path, `${kept}\n\n${report}`);
}
process.exitCode = Object.values(checks).every(Boolean) ? 0 : 1;
