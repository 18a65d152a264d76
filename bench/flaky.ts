/**
 * Step 3: a flaky server that answers 503 to its first 10 requests and 200 after. For each
 * library, with its documented defaults and with comparable settings (10 retries, exponential
 * from about 10 ms, capped at 1 s): the requests the server saw and the time to success.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Variant } from './common.js';
import { create, environment, median, rotate, table, VARIANTS, writeSection } from './common.js';

const FAILURES = 10;
const COMPARABLE = { retries: 10, baseDelay: 10, maxDelay: 1000 };

async function once(variant: Variant, comparable: boolean): Promise<{ seen: number; ms: number; ok: boolean }> {
  let seen = 0;
  const server = http.createServer((_req, res) => {
    seen += 1;
    res.writeHead(seen <= FAILURES ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true });
  const api = create(
    variant,
    { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, httpAgent: agent },
    comparable ? COMPARABLE : undefined,
  );
  const started = Date.now();
  const ok = await api.get('/model').then(
    () => true,
    () => false,
  );
  const ms = Date.now() - started;
  agent.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { seen, ms, ok };
}

export async function flaky(options: { rounds: number }): Promise<string> {
  const sections: string[] = [];
  for (const comparable of [false, true]) {
    const runs = new Map<Variant, { seen: number; ms: number; ok: boolean }[]>(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of rotate(VARIANTS, round)) runs.get(variant)?.push(await once(variant, comparable));
      process.stderr.write('.');
    }
    const rows = VARIANTS.map((v) => {
      const r = runs.get(v) ?? [];
      const succeeded = r.filter((x) => x.ok).length;
      return [
        v,
        median(r.map((x) => x.seen)),
        `${succeeded}/${r.length}`,
        succeeded
          ? Math.round(median(r.filter((x) => x.ok).map((x) => x.ms)))
          : `– (gave up after ${Math.round(median(r.map((x) => x.ms)))} ms)`,
      ];
    });
    sections.push(
      `### ${comparable ? `comparable settings: ${COMPARABLE.retries} retries, exponential from ~${COMPARABLE.baseDelay} ms, cap ${COMPARABLE.maxDelay} ms` : 'documented defaults'}\n\n` +
        table(['library', 'requests the server saw (median)', 'succeeded', 'time to success, ms (median)'], rows),
    );
  }
  const body = [
    `Command: \`npm run bench -- flaky\` (${options.rounds} interleaved rounds). The server answers 503 to its first ${FAILURES} requests, then 200. Comparable settings: axios-rebound \`{ retries: 10, baseDelay: 10, maxDelay: 1000 }\` (full jitter); axios-retry \`exponentialDelay\` with a 5 ms factor (10, 20, 40 ms… plus up to 20 %), capped at 1 s; retry-axios \`{ retry: 10, retryDelay: 20, maxRetryDelay: 1000, jitter: 'full' }\`. ${environment()}.`,
    ...sections,
  ].join('\n\n');
  writeSection('3. A flaky server', body);
  return body;
}
