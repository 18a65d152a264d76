/**
 * Step 1: what each plugin costs per successful request. An in-process adapter answers at
 * once, so only axios's pipeline and the interceptors run; CPU time comes from
 * process.cpuUsage. Variants run interleaved in rotating order, with gc() between blocks;
 * each figure is a median over rounds, and each ratio is paired within a round.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AxiosAdapter, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { AxiosHeaders } from 'axios';
import type { Variant } from './common.js';
import { create, environment, gc, median, rotate, table, VARIANTS, writeSection } from './common.js';

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

type Handler = { fulfilled?: (value: unknown) => unknown } | null;
const handlersOf = (api: AxiosInstance, kind: 'request' | 'response') =>
  ((api.interceptors[kind] as unknown as { handlers: Handler[] }).handlers ?? []).filter(
    (h): h is NonNullable<Handler> => h !== null,
  );

/**
 * The plugins' own interceptor functions alone, called in a tight loop on configs shaped like
 * axios's own: far less noisy than the whole pipeline, so it can rank sub-microsecond costs.
 * A loop that only builds the configs and responses is the baseline subtracted.
 */
async function handlerCost(api: AxiosInstance, template: InternalAxiosRequestConfig, n: number): Promise<number> {
  const request = handlersOf(api, 'request');
  const response = handlersOf(api, 'response');
  // Configs are built before the clock starts: only the handlers and a response literal are timed.
  const configs = Array.from(
    { length: n },
    () => ({ ...template, headers: new AxiosHeaders(template.headers) }) as InternalAxiosRequestConfig,
  );
  gc();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    let config = configs[i] as InternalAxiosRequestConfig;
    for (const h of request) {
      const next = h.fulfilled?.(config);
      config = (next instanceof Promise ? await next : next) as InternalAxiosRequestConfig;
    }
    let result: unknown = {
      data: { ok: true },
      status: 200,
      statusText: 'OK',
      headers: {},
      config,
      request: {},
    } as AxiosResponse;
    for (const h of response) {
      const next = h.fulfilled?.(result);
      result = next instanceof Promise ? await next : next;
    }
  }
  return Number(process.hrtime.bigint() - started) / n;
}

async function handlers(rounds: number): Promise<string> {
  let template: InternalAxiosRequestConfig | undefined;
  await create('bare axios', {
    adapter: (config) => {
      template = config;
      return answer(config);
    },
  }).get('/model');
  if (!template) throw new Error('no config captured');
  const instances = new Map(VARIANTS.map((v) => [v, create(v, { adapter: answer })]));
  const perRound: Record<Variant, number[]> = {
    'bare axios': [],
    'axios-rebound': [],
    'axios-retry': [],
    'retry-axios': [],
  };
  for (let round = 0; round <= rounds * 3; round++) {
    for (const variant of rotate(VARIANTS, round)) {
      gc();
      const api = instances.get(variant);
      if (api && round > 0) perRound[variant].push(await handlerCost(api, template, 50_000));
    }
  }
  const bare = perRound['bare axios'];
  const rows = VARIANTS.filter((v) => v !== 'bare axios').map((v) => [
    v,
    Math.round(median(perRound[v].map((x, i) => x - (bare[i] ?? NaN)))),
    handlersOf(instances.get(v) as AxiosInstance, 'request').length +
      handlersOf(instances.get(v) as AxiosInstance, 'response').length,
  ]);
  return (
    `### the plugins' interceptor functions alone: 50000 calls per block, ${rounds * 3} rounds\n\n` +
    table(['variant', 'ns per request over the baseline loop (paired median)', 'interceptors'], rows)
  );
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
    {
      name: 'in-process, sequential',
      requests: options.requests,
      concurrency: 1,
      instance: (v) => create(v, { adapter: answer }),
    },
    {
      name: 'in-process, 64 concurrent',
      requests: options.requests,
      concurrency: 64,
      instance: (v) => create(v, { adapter: answer }),
    },
    {
      name: 'loopback sockets, 64 concurrent',
      requests: Math.ceil(options.requests / 20),
      concurrency: 64,
      instance: (v) => create(v, { baseURL: url }),
    },
  ];
  const sections: string[] = [];
  try {
    for (const mode of modes) {
      const instances = new Map(VARIANTS.map((v) => [v, mode.instance(v)]));
      const perRound: Record<Variant, number[]> = {
        'bare axios': [],
        'axios-rebound': [],
        'axios-retry': [],
        'retry-axios': [],
      };
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
      const ranked = mode.name.startsWith('loopback')
        ? ' (reported, not used to rank: socket noise is larger than the plugins)'
        : '';
      sections.push(
        `### ${mode.name}: ${mode.requests} requests per block${ranked}\n\n` +
          table(
            ['variant', 'CPU µs/request (median)', 'Δ vs bare, µs (paired median)', 'ratio to bare (paired median)'],
            rows,
          ),
      );
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  sections.push(await handlers(options.rounds));
  const body = [
    `Command: \`npm run bench -- overhead\` (${options.rounds} rounds after a warm-up round, variants interleaved in rotating order, gc() between blocks). ${environment()}.`,
    ...sections,
  ].join('\n\n');
  writeSection('1. Interceptor cost on the success path', body);
  return body;
}
