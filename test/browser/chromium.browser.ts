import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { expect } from 'chai';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { FaultPlan } from './page.js';

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A body the server promises in full (its Content-Length) and cuts off halfway. */
const promised = Buffer.from('abcdefghij'.repeat(2_000));

/**
 * What the API does to a request it was told to fail (`?fail=N&fault=…`); a 503 when no fault is
 * named. `reset` sends a TCP RST, `close` a FIN, both before any byte of a response; `cut` sends
 * the headers and half the body, then closes; `late` closes 100 ms later, once the page holds the
 * response and is reading its body; `hang` never answers.
 */
const faults: Record<
  string,
  (req: http.IncomingMessage, res: http.ServerResponse, cors: http.OutgoingHttpHeaders) => void
> = {
  reset: (req) => req.socket.resetAndDestroy(),
  close: (req) => req.socket.destroy(),
  cut: (_req, res, cors) => {
    res.writeHead(200, { ...cors, 'Content-Type': 'text/plain', 'Content-Length': promised.length });
    res.write(promised.subarray(0, promised.length >> 1), () => res.socket?.destroy());
  },
  hang: () => {},
  late: (_req, res, cors) => {
    res.writeHead(200, { ...cors, 'Content-Type': 'text/plain', 'Content-Length': promised.length });
    res.write(promised.subarray(0, promised.length >> 1), () => setTimeout(() => res.socket?.destroy(), 100));
  },
};

/**
 * axios-rebound in a real browser (headless Chromium, Debian's package), with axios's XHR and
 * fetch adapters. The page and the API are on two origins of 127.0.0.1, so every retry goes
 * through CORS: the API answers the preflight for Idempotency-Key and exposes Retry-After.
 * Run by `npm run test:browser` (`.ci/run` installs Chromium when it is missing).
 */
describe('in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;
  let pageServer: http.Server;
  let api: http.Server;
  let apiOrigin = '';
  let oneShot: http.Server;
  let oneShotOrigin = '';
  const seen = new Map<string, { method: string; key: string | undefined }[]>();
  const preflightHeaders: string[] = [];

  const listen = async (server: http.Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  before(async () => {
    const bundle = await build({
      entryPoints: [new URL('./page.ts', import.meta.url).pathname],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
    });
    const script = bundle.outputFiles[0]?.text ?? '';
    pageServer = http.createServer((req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><script src="/app.js"></script>');
    });
    const pageOrigin = await listen(pageServer);
    const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const cors = {
        'Access-Control-Allow-Origin': pageOrigin,
        'Access-Control-Expose-Headers': 'Retry-After',
      };
      if (req.method === 'OPTIONS') {
        preflightHeaders.push(String(req.headers['access-control-request-headers'] ?? ''));
        res
          .writeHead(204, {
            ...cors,
            'Access-Control-Allow-Methods': 'GET, POST',
            'Access-Control-Allow-Headers': 'Content-Type, Idempotency-Key',
          })
          .end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const id = url.pathname.split('/').pop() ?? '';
      const calls = seen.get(id) ?? [];
      const key = req.headers['idempotency-key'];
      calls.push({ method: req.method ?? '', key: typeof key === 'string' ? key : undefined });
      seen.set(id, calls);
      req.resume();
      req.on('end', () => {
        const fault = faults[url.searchParams.get('fault') ?? ''];
        const failing = calls.length <= Number(url.searchParams.get('fail') ?? 0);
        if (failing && fault) fault(req, res, cors);
        else if (failing) {
          const retryAfter = url.searchParams.get('retryAfter');
          res.writeHead(503, { ...cors, ...(retryAfter ? { 'Retry-After': retryAfter } : {}) }).end('busy');
        } else {
          res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, id }));
        }
      });
    };
    api = http.createServer(handle);
    // Chromium sends a request again by itself when a connection it reused closes before any byte
    // of a response (see the tests of it below). So that the server's counts are axios's attempts, every
    // fault below is met on a server that allows one request per connection.
    oneShot = http.createServer((req, res) => {
      res.setHeader('Connection', 'close');
      handle(req, res);
    });
    oneShotOrigin = await listen(oneShot);
    apiOrigin = await listen(api);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    await page.goto(`${pageOrigin}/`);
  });

  after(async () => {
    await browser?.close();
    for (const server of [api, oneShot, pageServer]) server?.closeAllConnections();
    await Promise.all([api, oneShot, pageServer].map((s) => new Promise((resolve) => s?.close(resolve))));
  });

  type Scenario = 'retries' | 'retryAfter' | 'idempotencyKey' | 'abort';
  const play = (name: Scenario, adapter: string, id: string) =>
    page.evaluate(
      ([n, a, base, i]) =>
        (
          globalThis as unknown as { scenarios: Record<string, (a: string, b: string, i: string) => Promise<unknown>> }
        ).scenarios[n as string]?.(a as string, base as string, i as string),
      [name, adapter, apiOrigin, id],
    ) as Promise<
      Record<string, unknown> & { state?: { attempt: number; stopReason?: string; history: { delayMs?: number }[] } }
    >;

  /** An error and its causes, outermost first. */
  type Chain = { name?: string; code?: string; message?: string }[];
  /**
   * How a `fault` call came out: the response's status or the error (`causes`); `retried`, the
   * causes of each attempt that was retried.
   */
  interface Outcome {
    ok: boolean;
    status?: number;
    causes?: Chain;
    retried: Chain[];
    state?: { attempt: number; stopReason?: string; history: { code?: string; status?: number }[] };
  }
  /** Each attempt as its code, or its status when it got a response. */
  const verdicts = (outcome: Outcome) => outcome.state?.history.map((h) => h.code ?? h.status);
  const methods = (id: string) => seen.get(id)?.map((c) => c.method);

  /**
   * What Chromium lets a page see of a network failure, whatever it was (refused, reset, closed,
   * a body cut off): XHR fires `error` with status 0 and nothing else; fetch rejects with a bare
   * TypeError. axios makes both ERR_NETWORK, and only the fetch adapter keeps a cause.
   */
  const networkError: Record<string, Chain> = {
    xhr: [{ name: 'AxiosError', code: 'ERR_NETWORK', message: 'Network Error' }],
    fetch: [
      { name: 'AxiosError', code: 'ERR_NETWORK', message: 'Network Error' },
      { name: 'TypeError', message: 'Failed to fetch' },
    ],
  };

  /** Failures of the server's making that are retried; the first two attempts meet them. */
  const retriedFaults: { failure: string; fault: string; read?: FaultPlan['read'] }[] = [
    { failure: 'a connection reset (RST) before any response', fault: 'reset' },
    { failure: 'a connection closed (FIN) before any response', fault: 'close' },
    // Chromium fails the whole request when the body falls short of its Content-Length, even once
    // fetch() has resolved: response.text(), which axios reads with, rejects with 'Failed to
    // fetch' (a reader of response.body would see 'network error'). No truncated body resolves.
    { failure: 'a body cut off right after its headers', fault: 'cut' },
    { failure: 'a body cut off while the page reads it', fault: 'late' },
    // The fetch adapter then reads the body through a stream of its own: the same report.
    { failure: 'a body cut off under an onDownloadProgress listener', fault: 'late', read: 'progress' },
  ];

  /** The `fault` scenario: a call to `path` at `base` under `plan`, its outcome as plain data. */
  const meet = (adapter: string, base: string, path: string, plan: FaultPlan) =>
    page.evaluate(
      ([a, b, p, f]) =>
        (
          globalThis as unknown as {
            scenarios: { fault: (a: string, b: string, p: string, f: FaultPlan) => Promise<unknown> };
          }
        ).scenarios.fault(a as string, b as string, p as string, f as FaultPlan),
      [adapter, base, path, plan] as const,
    ) as Promise<Outcome>;

  for (const adapter of ['xhr', 'fetch']) {
    describe(`with axios's ${adapter} adapter`, () => {
      it('retries 503s until the 200', async () => {
        const result = await play('retries', adapter, `retries-${adapter}`);
        expect(result).to.deep.include({ status: 200, data: { ok: true, id: `retries-${adapter}` } });
        expect(result.state?.attempt).to.equal(3);
        expect(seen.get(`retries-${adapter}`)).to.have.length(3);
      });

      it('honours Retry-After (exposed through CORS)', async () => {
        const result = await play('retryAfter', adapter, `retry-after-${adapter}`);
        expect(result.status).to.equal(200);
        expect(result.state?.history[0]?.delayMs).to.be.within(1000, 1200);
        expect(result.elapsedMs).to.be.at.least(1000);
      });

      it('sends the same Idempotency-Key on every attempt, allowed by the preflight', async () => {
        const id = `key-${adapter}`;
        const result = await play('idempotencyKey', adapter, id);
        expect(result.status).to.equal(200);
        const calls = seen.get(id) ?? [];
        expect(calls.map((c) => c.method)).to.deep.equal(['POST', 'POST']);
        expect(calls[0]?.key).to.match(/^[0-9a-f-]{36}$/);
        expect(calls[1]?.key).to.equal(calls[0]?.key);
        expect(preflightHeaders.some((h) => h.includes('idempotency-key'))).to.equal(true);
      });

      it('cancels a backoff wait when the signal aborts', async () => {
        const id = `abort-${adapter}`;
        const result = await play('abort', adapter, id);
        expect(result.canceled).to.equal(true);
        expect(result.state?.stopReason).to.equal('aborted');
        expect(result.elapsedMs).to.be.below(5000);
        expect(seen.get(id)).to.have.length(1);
      });

      it('retries a refused connection as ERR_NETWORK until the retries run out', async () => {
        const result = await meet(adapter, `http://127.0.0.1:${await closedPort()}`, '/refused', { retries: 2 });
        expect(result.ok).to.equal(false);
        expect(result.causes).to.deep.equal(networkError[adapter]);
        expect(result.retried).to.deep.equal([networkError[adapter], networkError[adapter]]);
        expect(verdicts(result)).to.deep.equal(['ERR_NETWORK', 'ERR_NETWORK', 'ERR_NETWORK']);
        expect(result.state?.stopReason).to.equal('retries-exhausted');
      });

      for (const { failure, fault, read } of retriedFaults) {
        it(`retries ${failure} as ERR_NETWORK, then takes the 200`, async () => {
          const id = `${fault}${read ? `-${read}` : ''}-${adapter}`;
          const result = await meet(adapter, oneShotOrigin, `/fault/${id}?fail=2&fault=${fault}`, {
            retries: 3,
            ...(read ? { read } : {}),
          });
          expect(result).to.deep.include({ ok: true, status: 200 });
          expect(result.retried).to.deep.equal([networkError[adapter], networkError[adapter]]);
          expect(verdicts(result)).to.deep.equal(['ERR_NETWORK', 'ERR_NETWORK', 200]);
          expect(result.state?.stopReason).to.equal(undefined);
          expect(methods(id)).to.deep.equal(['GET', 'GET', 'GET']);
        });
      }

      it('retries an attempt the server never answers when attemptTimeout ends it (ETIMEDOUT)', async () => {
        const id = `hang-${adapter}`;
        const result = await meet(adapter, oneShotOrigin, `/fault/${id}?fail=9&fault=hang`, {
          retries: 1,
          attemptTimeout: 300,
        });
        const timedOut = [{ name: 'AxiosError', code: 'ETIMEDOUT', message: 'attempt timeout of 300ms exceeded' }];
        expect(result.ok).to.equal(false);
        expect(result.causes).to.deep.equal(timedOut);
        expect(result.retried).to.deep.equal([timedOut]);
        expect(verdicts(result)).to.deep.equal(['ETIMEDOUT', 'ETIMEDOUT']);
        expect(result.state?.stopReason).to.equal('retries-exhausted');
        expect(methods(id)).to.deep.equal(['GET', 'GET']);
      });

      for (const [how, fault] of [
        ['reset', 'reset'],
        ['closed', 'close'],
      ] as const) {
        it(`never retries a POST without an idempotency key whose connection is ${how} before any response`, async () => {
          const id = `post-${fault}-${adapter}`;
          const result = await meet(adapter, oneShotOrigin, `/fault/${id}?fail=1&fault=${fault}`, {
            retries: 3,
            post: true,
          });
          expect(result.ok).to.equal(false);
          expect(result.causes).to.deep.equal(networkError[adapter]);
          expect(result.retried).to.deep.equal([]);
          expect(verdicts(result)).to.deep.equal(['ERR_NETWORK']);
          expect(result.state?.stopReason).to.equal('not-retryable');
          expect(methods(id)).to.deep.equal(['POST']);
        });

        // Below axios, Chromium sends a request again by itself, POST included, when a kept-alive
        // connection it reused closes or resets before any byte of the response: it takes that
        // for the server's idle timeout racing the send (HttpNetworkTransaction::
        // ShouldResendRequest), though RFC 9110 §9.2.2 says a user agent SHOULD NOT retry a
        // non-idempotent request. The page never learns of the first send, so no plugin can stop it.
        it(`sees Chromium itself send a keyless POST twice when the connection it reused is ${how} first`, async () => {
          const id = `resent-${fault}-${adapter}`;
          const result = await meet(adapter, apiOrigin, `/fault/${id}?fail=1&fault=${fault}`, {
            retries: 3,
            post: true,
            warm: `/flaky/warm-${fault}-${adapter}`,
          });
          expect(result).to.deep.include({ ok: true, status: 200, retried: [] });
          expect(verdicts(result)).to.deep.equal([200]);
          expect(methods(id)).to.deep.equal(['POST', 'POST']);
        });
      }
    });
  }
});
