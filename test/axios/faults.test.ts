import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { AxiosError, AxiosInstance } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import type { RetryHandle, RetryOptions } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { mulberry32 } from '../../lib/testing/random.js';
import { outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { startServer, withoutLeaks } from '../server.js';

/** What the server does with one request. */
type Fault =
  | 'ok'
  | '503'
  | 'reset-before'
  | 'reset-mid-body'
  | 'silent'
  | 'slow'
  | { retryAfter: string; status?: number }
  | 'redirect-loop'
  | 'bad-json';

function act(fault: Fault, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (typeof fault === 'object') {
    res.writeHead(fault.status ?? 429, { 'Retry-After': fault.retryAfter }).end();
    return;
  }
  switch (fault) {
    case 'ok':
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      return;
    case '503':
      res.writeHead(503).end('busy');
      return;
    case 'reset-before':
      req.socket.destroy();
      return;
    case 'reset-mid-body':
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('{"partial":');
      setImmediate(() => req.socket.destroy());
      return;
    case 'silent':
      return;
    case 'slow': {
      const timer = setTimeout(() => res.end('late'), 1000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'redirect-loop':
      res.writeHead(302, { Location: req.url ?? '/' }).end();
      return;
    case 'bad-json':
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"a":');
      return;
  }
}

/** A small seeded PRNG (mulberry32), so a "random" mix of faults is the same on every run. */
const seeded = mulberry32;

describe('fault injection against a real server on 127.0.0.1', function () {
  this.timeout(20_000);
  let server: TestServer | undefined;
  let signal: AbortSignal;

  /** Scripts the server's answers in order (the last one repeats) and attaches axios-rebound. */
  async function scripted(
    faults: Fault[],
    options: Partial<RetryOptions> = {},
  ): Promise<{ api: AxiosInstance; handle: RetryHandle }> {
    server = await startServer((n, req, res) => act(faults[Math.min(n, faults.length) - 1] ?? 'ok', req, res));
    const api = axios.create({ baseURL: server.url, signal });
    const handle = attachRetry(api, { baseDelay: 5, maxDelay: 20, attemptTimeout: 150, budget: false, ...options });
    return { api, handle };
  }

  /** A fault test: no timer or socket may outlive it, and no listener may stay on the caller's signal. */
  function fault(title: string, body: () => Promise<void>): void {
    it(title, () =>
      withoutLeaks(async () => {
        const controller = new AbortController();
        signal = controller.signal;
        try {
          await body();
        } finally {
          await server?.close();
          server = undefined;
        }
        expect(getEventListeners(signal, 'abort'), 'listeners left on the signal').to.have.length(0);
      }),
    );
  }

  const hits = () => server?.hits() ?? 0;

  fault('connection refused: every attempt fails fast, none reaches a server, and it says why', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const api = axios.create({ baseURL: `http://127.0.0.1:${port}`, signal });
    attachRetry(api, { baseDelay: 1, retries: 2 });
    const { error } = await outcome(api.get('/'));
    expect((error as AxiosError).code).to.equal('ECONNREFUSED');
    expect(getRetryState(error)).to.include({ attempt: 3, stopReason: 'retries-exhausted' });
  });

  fault('reset before the response: retried', async () => {
    const { api } = await scripted(['reset-before', 'reset-before', 'ok']);
    const { value } = await outcome(api.get('/'));
    expect(value?.data).to.deep.equal({ ok: true });
    expect(hits()).to.equal(3);
    expect(getRetryState(value)?.history.map((h) => h.code)).to.deep.equal(['ECONNRESET', 'ECONNRESET', undefined]);
  });

  fault('reset in the middle of the body: retried as a network failure', async () => {
    const { api } = await scripted(['reset-mid-body', 'ok']);
    const { value } = await outcome(api.get('/'));
    expect(value?.data).to.deep.equal({ ok: true });
    expect(hits()).to.equal(2);
    expect(getRetryState(value)?.history[0]).to.include({ code: 'ERR_BAD_RESPONSE' });
    // axios attaches the (complete-looking) 200 response to that error from 1.16 on only.
    if (Number(axios.VERSION.split('.')[1]) >= 16) expect(getRetryState(value)?.history[0]).to.include({ status: 200 });
  });

  fault('a server that accepts and never answers: each attempt times out, then it gives up', async () => {
    const { api } = await scripted(['silent'], { retries: 2, attemptTimeout: 50 });
    const { error } = await outcome(api.get('/'));
    expect((error as AxiosError).message).to.equal('attempt timeout of 50ms exceeded');
    expect(getRetryState(error)).to.include({ attempt: 3, stopReason: 'retries-exhausted' });
    expect(hits()).to.equal(3);
  });

  fault('a response slower than the attempt timeout: timed out and retried', async () => {
    const { api } = await scripted(['slow', 'ok'], { attemptTimeout: 100 });
    const { value } = await outcome(api.get('/'));
    expect(value?.data).to.deep.equal({ ok: true });
    expect(getRetryState(value)?.history[0]?.code).to.equal('ETIMEDOUT');
    expect(hits()).to.equal(2);
  });

  fault('a 503 storm: retries until they run out, the last 503 returned', async () => {
    const { api } = await scripted(['503'], { retries: 4 });
    const { error } = await outcome(api.get('/'));
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)).to.include({ attempt: 5, stopReason: 'retries-exhausted' });
    expect(hits()).to.equal(5);
  });

  const retryAfterCases: [string, string, 'retried' | 'gives-up'][] = [
    ['valid', '0', 'retried'],
    ['fractional', '0.05', 'retried'],
    ['negative', '-3', 'retried'],
    ['past-date', 'Thu, 01 Jan 1970 00:00:00 GMT', 'retried'],
    ['garbage', 'after lunch', 'retried'],
    ['huge', '86400', 'gives-up'],
  ];
  for (const [name, value, expected] of retryAfterCases) {
    fault(
      `429 with a ${name} Retry-After (${value}): ${expected === 'retried' ? 'retried' : 'gives up at once'}`,
      async () => {
        const { api } = await scripted([{ retryAfter: value }, 'ok']);
        const result = await outcome(api.get('/'));
        if (expected === 'retried') {
          expect(result.value?.status).to.equal(200);
          expect(hits()).to.equal(2);
          if (name === 'fractional') expect(getRetryState(result.value)?.history[0]?.delayMs).to.be.within(50, 60);
        } else {
          expect(getRetryState(result.error)?.stopReason).to.equal('retry-after-too-long');
          expect(hits()).to.equal(1);
        }
      },
    );
  }

  fault('a redirect loop: not retried, axios’s own limit reached once', async () => {
    const { api } = await scripted(['redirect-loop']);
    const { error } = await outcome(api.get('/loop'));
    expect((error as AxiosError).code).to.equal('ERR_FR_TOO_MANY_REDIRECTS');
    expect(getRetryState(error)?.stopReason).to.equal('not-retryable');
    // The first request and axios's 21 redirects; no retry repeats them.
    expect(hits()).to.equal(22);
  });

  fault('invalid JSON on a 200: returned as text by default, and not retried when strict parsing fails', async () => {
    const { api } = await scripted(['bad-json']);
    const { value } = await outcome(api.get('/'));
    expect(value?.data).to.equal('{"a":');
    const { error } = await outcome(api.get('/', { responseType: 'json', transitional: { silentJSONParsing: false } }));
    expect((error as AxiosError).code).to.equal('ERR_BAD_RESPONSE');
    expect(getRetryState(error)?.stopReason).to.equal('not-retryable');
    expect(hits()).to.equal(2);
  });

  fault(
    'a 200 after a 503 with responseType stream: the failed stream is destroyed, the good one delivered',
    async () => {
      const { api } = await scripted(['503', 'ok']);
      const response = await api.get<Readable>('/', { responseType: 'stream' });
      const chunks: Buffer[] = [];
      for await (const chunk of response.data) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).to.equal('{"ok":true}');
      expect(hits()).to.equal(2);
    },
  );

  fault(
    'a seeded random mix of faults: every caller settles, and the stories add up to the server’s count',
    async () => {
      const random = seeded(20261123);
      const mix: Fault[] = [
        'ok',
        'ok',
        'ok',
        '503',
        'reset-before',
        'reset-mid-body',
        'slow',
        { retryAfter: '0.01', status: 503 },
      ];
      let oks = 0;
      server = await startServer((_n, req, res) => {
        const fault = mix[Math.floor(random() * mix.length)] ?? 'ok';
        if (fault === 'ok') oks += 1;
        act(fault, req, res);
      });
      const api = axios.create({ baseURL: server.url, signal });
      const handle = attachRetry(api, { retries: 6, baseDelay: 2, maxDelay: 10, attemptTimeout: 200, budget: false });
      const results: { value?: unknown; error?: unknown }[] = [];
      // 100 callers, 20 at a time: a burst of hundreds of new sockets would itself outlast a tight timeout.
      for (let batch = 0; batch < 5; batch++) {
        results.push(
          ...(await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(api.get(`/item/${batch}/${i}`))))),
        );
      }
      const states = results.map((r) => getRetryState(r.value ?? r.error));
      const attempts = states.reduce((sum, st) => sum + (st?.attempt ?? 0), 0);
      expect(attempts).to.equal(hits());
      expect(handle.stats()).to.include({ requests: 100, attempts: hits() });
      for (const [i, r] of results.entries()) {
        const st = states[i];
        if (r.value) expect(st?.history[st.history.length - 1]?.status).to.equal(200);
        else expect(st).to.include({ attempt: 7, stopReason: 'retries-exhausted' });
      }
      // Every complete answer reached a caller, and only failures that exhausted the retries were lost.
      expect(results.filter((r) => r.value).length).to.equal(oks);
    },
  );

  describe('exactly once for POST', () => {
    /**
     * A payment-like server: performs the side effect once per Idempotency-Key and replays the
     * stored result for a key it has seen; sometimes (seeded) resets the connection right
     * after performing, before answering.
     */
    async function ledger(resetShare: number) {
      const random = seeded(42);
      const results = new Map<string, number>();
      let performed = 0;
      server = await startServer((_n, req, res) => {
        const key = req.headers['idempotency-key'];
        req.resume();
        req.on('end', () => {
          const known = typeof key === 'string' ? results.get(key) : undefined;
          if (known !== undefined) {
            res
              .writeHead(200, { 'Content-Type': 'application/json' })
              .end(JSON.stringify({ id: known, replayed: true }));
            return;
          }
          performed += 1;
          if (typeof key === 'string') results.set(key, performed);
          if (random() < resetShare) req.socket.destroy();
          else res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: performed }));
        });
      });
      return { results, performed: () => performed };
    }

    fault('1 000 POSTs with keys through resets after the side effect: the counter ends at exactly 1 000', async () => {
      const { results, performed } = await ledger(0.3);
      const api = axios.create({ baseURL: server?.url ?? '', signal });
      attachRetry(api, { idempotencyKey: true, retries: 10, baseDelay: 1, maxDelay: 5, budget: false });
      const settled: { key: string | undefined; id: unknown }[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const responses = await Promise.all(Array.from({ length: 50 }, () => api.post('/charges', { amount: 5 })));
        for (const r of responses)
          settled.push({ key: getRetryState(r)?.idempotencyKey, id: (r.data as { id: number }).id });
      }
      expect(performed()).to.equal(1000);
      expect(results.size).to.equal(1000);
      expect(settled).to.have.length(1000);
      for (const { key, id } of settled) expect(results.get(key ?? '')).to.equal(id);
      expect(hits()).to.be.greaterThan(1000);
    });

    fault('without a key, a POST is never retried: a reset after the side effect reaches the caller', async () => {
      const { performed } = await ledger(0.3);
      const api = axios.create({ baseURL: server?.url ?? '', signal });
      attachRetry(api, { retries: 10, baseDelay: 1, budget: false });
      const results = await Promise.all(
        Array.from({ length: 200 }, () => outcome(api.post('/charges', { amount: 5 }))),
      );
      const failed = results.filter((r) => r.error);
      expect(hits()).to.equal(200);
      expect(performed()).to.equal(200);
      expect(failed.length).to.be.within(30, 100);
      for (const { error } of failed) {
        expect((error as AxiosError).code).to.equal('ECONNRESET');
        expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'not-retryable' });
      }
    });
  });
});
