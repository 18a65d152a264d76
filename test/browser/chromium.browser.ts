import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

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
    api = http.createServer((req, res) => {
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
        if (calls.length <= Number(url.searchParams.get('fail') ?? 0)) {
          const retryAfter = url.searchParams.get('retryAfter');
          res.writeHead(503, { ...cors, ...(retryAfter ? { 'Retry-After': retryAfter } : {}) }).end('busy');
        } else {
          res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, id }));
        }
      });
    });
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
    api?.closeAllConnections();
    pageServer?.closeAllConnections();
    await Promise.all([api, pageServer].map((s) => new Promise((resolve) => s?.close(resolve))));
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
    });
  }
});
