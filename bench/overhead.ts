/**
 * Step 1: what each plugin costs per successful request. An in-process adapter answers at
 * once, so only axios's pipeline and the interceptors run; CPU time comes from
 * process.cpuUsage. Variants run interleaved in rotating order, with gc() between blocks;
 * each figure is a median over rounds, and each ratio is paired within a round.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AxiosAdapter, AxiosInstance } from 'axios';
import { create, environment, gc, median, rotate, table, VARIANTS, writeSection } from './common.js';
import type { Variant } from './common.js';

const answer: AxiosAdapter = (config) =>
  Promise.resolve({ data: '{"ok":true}', status: 200, statusText: 'OK', headers: {}, config, request: {} });

async function block(api: AxiosInstance, requests: number, concurrency: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next += 1;
      await api.get('/model');
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / requests;
}

interface Mode {
  name: string;
  requests: number;
  concurrency: number;
  instance: (variant: Variant) => AxiosInstance;
}

export async function overhead(options: { rounds: number; requests: number }): Promise<string> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const modes: Mode[] = [
    { name: 'in-process, sequential', requests: options.requests, concurrency: 1, instance: (v) => create(v, { adapter: answer }) },
    { name: 'in-process, 64 concurrent', requests: options.requests, concurrency: 64, instance: (v) => create(v, { adapter: answer }) },
    { name: 'loopback sockets, 64 concurrent', requests: Math.ceil(options.requests / 20), concurrency: 64, instance: (v) => create(v, { baseURL: url }) },
  ];
  const sections: string[] = [];
  try {
    for (const mode of modes) {
      const instances = new Map(VARIANTS.map((v) => [v, mode.instance(v)]));
      const perRound: Record<Variant, number[]> = { 'bare axios': [], 'axios-rebound': [], 'axios-retry': [], 'retry-axios': [] };
      // Round 0 warms the JIT and the sockets; it is not counted.
      for (let round = 0; round <= options.rounds; round++) {
        for (const variant of rotate(VARIANTS, round)) {
          gc();
          const api = instances.get(variant);
          if (!api) continue;
          const micros = await block(api, mode.requests, mode.concurrency);
          if (round > 0) perRound[variant].push(micros);
        }
        process.stderr.write('.');
      }
      const bare = perRound['bare axios'];
      const rows = VARIANTS.map((v) => {
        const runs = perRound[v];
        const diffs = runs.map((x, i) => x - (bare[i] ?? NaN));
        const ratios = runs.map((x, i) => x / (bare[i] ?? NaN));
        return [
          v,
          median(runs).toFixed(2),
          v === 'bare axios' ? '–' : `${median(diffs) >= 0 ? '+' : ''}${median(diffs).toFixed(2)}`,
          median(ratios).toFixed(3),
        ];
      });
      const ranked = mode.name.startsWith('loopback') ? ' (reported, not used to rank: socket noise is larger than the plugins)' : '';
      sections.push(
        `### ${mode.name}: ${mode.requests} requests per block${ranked}\n\n` +
          table(['variant', 'CPU µs/request (median)', 'Δ vs bare, µs (paired median)', 'ratio to bare (paired median)'], rows),
      );
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  const body = [
    `Command: \`npm run bench -- overhead\` (${options.rounds} rounds after a warm-up round, variants interleaved in rotating order, gc() between blocks). ${environment()}.`,
    ...sections,
  ].join('\n\n');
  writeSection('1. Interceptor cost on the success path', body);
  return body;
}
