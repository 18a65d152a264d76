import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AxiosInstance } from 'axios';
import axios, { type AxiosError, CanceledError } from 'axios';
import { expect } from 'chai';
import type { RetryHandle, RetryOptions } from '../../lib/index.js';
import { attachRetry, Cooldown, getRetryState, RateLimitedError } from '../../lib/index.js';
import { idle, outcome, until } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** Real ms on the monotonic clock the cooldown itself reads (performance.now is the same clock). */
const hrNow = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A request as the server saw it: its number, path, when it arrived, and the status it got. */
interface Arrival {
  n: number;
  path: string;
  at: number;
  status: number;
}

type Answer = [status: number, headers?: Record<string, string>];

/** A handler for `startServer` that answers each request with `answer(n, path)` at once and notes its arrival. */
function answering(arrivals: Arrival[], answer: (n: number, path: string) => Answer) {
  return (n: number, req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    const [status, headers = {}] = answer(n, path);
    arrivals.push({ n, path, at: hrNow(), status });
    res.writeHead(status, headers);
    res.end(String(status));
  };
}

/** The first request gets `first`, every other one a plain 200. */
const firstThen200 =
  (first: Answer) =>
  (n: number): Answer =>
    n === 1 ? first : [200];

/**
 * A handler whose first request, to `/x`, is held unanswered until the test answers it through
 * `held()`; `/y` gets `y`, anything else a 200. So a retry of `/x` can be made to come after a
 * cooldown that `/y` started.
 */
function holdingFirstX(arrivals: Arrival[], y: Answer) {
  let held: ServerResponse | undefined;
  const others = answering(arrivals, (_n, path) => (path === '/y' ? y : [200]));
  const handler = (n: number, req: IncomingMessage, res: ServerResponse) => {
    if (n > 1 || req.url !== '/x') return others(n, req, res);
    arrivals.push({ n, path: '/x', at: hrNow(), status: 503 });
    held = res;
  };
  return { handler, held: () => held };
}

describe('the cooldown per origin, against a real server on 127.0.0.1', () => {
  let server: TestServer | undefined;

  const real = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });

  function attached(options: Partial<RetryOptions>): { api: AxiosInstance; handle: RetryHandle; origin: string } {
    const origin = server?.url ?? '';
    const api = axios.create({ baseURL: origin });
    return { api, handle: attachRetry(api, options), origin };
  }

  /** Ms left of the origin's cooldown as `stats()` shows it; `undefined` when it is not cooling. */
  const left = (handle: RetryHandle, origin: string) => handle.stats().cooldown?.origins[origin];

  real('holds 20 requests that start during a 429 cooldown until its end, and spreads them after it', async () => {
    const arrivals: Arrival[] = [];
    // 600 ms: waiters are spread over 20 % of it (120 ms), well beyond the ~30 ms that sending
    // 20 requests at the same instant spreads their arrivals on its own.
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '600' }])));
    const { api, handle, origin } = attached({ retries: 3 });
    const first = api.get('/first');
    // Only once the 429 has been answered and the client holds it (its cooldown has begun) do
    // the others start: requests sent before it would all be on their way already.
    await until(() => arrivals.length === 1 && left(handle, origin) !== undefined);
    const answered429 = arrivals[0]?.at ?? 0;
    const firedAt = hrNow();
    const others = Array.from({ length: 20 }, () => api.get('/x'));
    const responses = await Promise.all([first, ...others]);

    // They were fired well inside the cooldown, so what follows is the cooldown's doing.
    expect(firedAt - answered429).to.be.below(600);
    expect(responses.map((r) => r.status)).to.deep.equal(Array(21).fill(200));
    expect(arrivals).to.have.length(22);
    expect(arrivals.filter((a) => a.status === 429)).to.have.length(1);
    // The 20, and the first request's retry: none reached the server before the server's time.
    const sinceThe429 = (path: string) =>
      arrivals
        .slice(1)
        .filter((a) => a.path === path)
        .map((a) => a.at - answered429);
    const shown = `the 20 arrived after the 429 at (ms): ${sinceThe429('/x').map(Math.round).join(' ')}`;
    expect(sinceThe429('/first')).to.have.length(1);
    expect(Math.min(...sinceThe429('/first'), ...sinceThe429('/x')), shown).to.be.at.least(600);
    // Spread after the end of the cooldown, not sent as one burst when it ends.
    expect(Math.max(...sinceThe429('/x')) - Math.min(...sinceThe429('/x')), shown).to.be.above(60);
    // The first request's own retry waits out its Retry-After first; it may find a few ms of
    // the cooldown left (timers fire on the event loop's cached clock) and count as well.
    expect(handle.stats().cooldown?.waited).to.be.within(20, 21);
    expect(handle.stats().cooldown?.failedFast).to.equal(0);
    expect(getRetryState(responses[0])?.attempt).to.equal(2);
  });

  real('makes a scheduled retry wait for a cooldown another request started', async () => {
    const arrivals: Arrival[] = [];
    const { handler, held } = holdingFirstX(arrivals, [429, { 'retry-after-ms': '300' }]);
    server = await startServer(handler);
    const { api, handle, origin } = attached({ retries: 2, baseDelay: 1, jitter: 'none' });
    const x = api.get('/x');
    await until(() => held() !== undefined);
    const y = outcome(api.get('/y', { retry: { retries: 0 } }));
    await until(() => left(handle, origin) !== undefined);
    held()?.writeHead(503).end();
    const response = await x;
    expect(response.status).to.equal(200);
    expect((await y).error).to.include({ code: 'ERR_BAD_REQUEST' });
    const y429 = arrivals.find((a) => a.path === '/y')?.at ?? Infinity;
    const retried = arrivals.filter((a) => a.path === '/x')[1]?.at ?? -Infinity;
    // Backoff alone (1 ms) would have sent it at once.
    expect(retried - y429).to.be.at.least(300);
    expect(handle.stats().cooldown?.waited).to.equal(1);
  });

  real('ends a scheduled retry that cannot wait out a cooldown within its deadline, sending nothing', async () => {
    const arrivals: Arrival[] = [];
    const { handler, held } = holdingFirstX(arrivals, [429, { 'retry-after-ms': '2000' }]);
    server = await startServer(handler);
    const { api, handle, origin } = attached({ retries: 2, baseDelay: 1, jitter: 'none' });
    const x = outcome(api.get('/x', { retry: { deadline: 1000 } }));
    await until(() => held() !== undefined);
    await outcome(api.get('/y', { retry: { retries: 0 } }));
    held()?.writeHead(503).end();
    const { error } = await x;

    // The call ends with the last failure it really had (the 503), as when a breaker refuses a retry.
    expect(error).to.include({ code: 'ERR_BAD_RESPONSE' });
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'rate-limited' });
    expect(arrivals.map((a) => a.path)).to.deep.equal(['/x', '/y']);
    expect(handle.stats().cooldown).to.include({ waited: 0, failedFast: 1 });
    // It did not sit out its deadline: the cooldown is still nearly whole.
    expect(left(handle, origin)).to.be.above(1000);
  });

  real('fails fast with ERR_RATE_LIMITED when the cooldown outlasts the deadline, sending nothing', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    const started = hrNow();
    const { error } = await outcome(api.get('/x', { retry: { deadline: 200 } }));
    const took = hrNow() - started;

    expect(error).to.be.instanceOf(RateLimitedError);
    expect(error).to.include({ code: 'ERR_RATE_LIMITED' });
    // Why it could not wait: the time to come back is past the 200 ms deadline.
    expect((error as RateLimitedError).retryAfterMs).to.be.within(201, 2400);
    expect((error as RateLimitedError).config?.url).to.equal('/x');
    expect(getRetryState(error)?.stopReason).to.equal('rate-limited');
    // Not left to run into the deadline.
    expect(took).to.be.below(200);
    expect(arrivals).to.have.length(1);
    expect(handle.stats().cooldown).to.include({ waited: 0, failedFast: 1 });
    expect(handle.stats().giveUps).to.deep.equal({ 'retries-exhausted': 1, 'rate-limited': 1 });
    expect(left(handle, origin)).to.be.above(1000);
  });

  real('fails fast with ERR_RATE_LIMITED when the cooldown is past maxRetryAfter, sending nothing', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    const { error } = await outcome(api.get('/x', { retry: { maxRetryAfter: 500 } }));

    expect(error).to.be.instanceOf(RateLimitedError);
    expect(error).to.include({ code: 'ERR_RATE_LIMITED' });
    expect((error as RateLimitedError).retryAfterMs).to.be.within(501, 2400);
    expect((error as RateLimitedError).config?.url).to.equal('/x');
    expect(getRetryState(error)?.stopReason).to.equal('rate-limited');
    expect(arrivals).to.have.length(1);
    expect(handle.stats().cooldown).to.include({ waited: 0, failedFast: 1 });
    // It did not wait: most of the cooldown is still ahead.
    expect(left(handle, origin)).to.be.above(1000);
  });

  real('starts no cooldown with cooldown: false on the instance: the next request goes at once', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle } = attached({ retries: 0, cooldown: false });
    await outcome(api.get('/x'));
    // With a cooldown this request would fail fast: its deadline is shorter than the server's time.
    const response = await api.get('/x', { retry: { deadline: 200 } });
    expect(response.status).to.equal(200);
    expect(arrivals.map((a) => a.status)).to.deep.equal([429, 200]);
    expect(handle.stats().cooldown).to.equal(undefined);
  });

  real('lets a request with retry: { cooldown: false } through at once while its origin cools down', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    expect(left(handle, origin)).to.be.above(1000);

    const response = await api.get('/x', { retry: { cooldown: false, deadline: 200 } });
    expect(response.status).to.equal(200);
    expect(arrivals).to.have.length(2);
    // The origin still cools down for everyone else.
    const { error } = await outcome(api.get('/x', { retry: { deadline: 200 } }));
    expect(error).to.include({ code: 'ERR_RATE_LIMITED' });
    expect(arrivals).to.have.length(2);
    expect(handle.stats().cooldown).to.include({ waited: 0, failedFast: 1 });
  });

  real('shares one Cooldown between instances: a 429 seen by A makes B wait, not C with its own', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(
      answering(arrivals, (_n, path) => (path === '/a' ? [429, { 'retry-after-ms': '300' }] : [200])),
    );
    const shared = new Cooldown();
    const a = attached({ retries: 0, cooldown: shared });
    const b = attached({ retries: 0, cooldown: shared });
    const c = attached({ retries: 0 });
    await outcome(a.api.get('/a'));
    const answered429 = arrivals[0]?.at ?? 0;

    // C has a cooldown of its own, which heard nothing: its request goes at once.
    expect((await c.api.get('/c', { retry: { deadline: 200 } })).status).to.equal(200);
    expect((await b.api.get('/b')).status).to.equal(200);
    const at = (path: string) => (arrivals.find((x) => x.path === path)?.at ?? Number.NaN) - answered429;
    expect(at('/c')).to.be.below(300);
    expect(at('/b')).to.be.at.least(300);
    expect(b.handle.stats().cooldown?.waited).to.equal(1);
    expect(c.handle.stats().cooldown).to.deep.equal({ origins: {}, waited: 0, failedFast: 0 });
  });

  real('starts a cooldown from a success whose RateLimit field says the quota is spent', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([200, { RateLimit: '"default";r=0;t=1' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    expect((await api.get('/x')).status).to.equal(200);
    expect(left(handle, origin)).to.be.within(1, 1000);

    // Waiting ~1 s does not fit a 200 ms deadline: it fails fast instead of being sent.
    const { error } = await outcome(api.get('/x', { retry: { deadline: 200 } }));
    expect(error).to.be.instanceOf(RateLimitedError);
    expect(getRetryState(error)?.stopReason).to.equal('rate-limited');
    expect(arrivals).to.have.length(1);
    expect(handle.stats().cooldown?.failedFast).to.equal(1);
  });

  real('starts a cooldown from each kind of server time on a 429 or 503', async () => {
    const cases: [name: string, Answer][] = [
      ['Retry-After on a 503', [503, { 'Retry-After': '2' }]],
      ['RateLimit on a 429', [429, { RateLimit: 'burst;r=5;t=1, "daily";r=0;t=2' }]],
      ['x-ratelimit-reset on a 429', [429, { 'x-ratelimit-reset': '2' }]],
      ['retry-after-ms on a 503', [503, { 'retry-after-ms': '2000' }]],
    ];
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, (n) => cases[n - 1]?.[1] ?? [200]));
    for (const [name] of cases) {
      const { api, handle, origin } = attached({ retries: 0 });
      await outcome(api.get('/x'));
      expect(left(handle, origin), name).to.be.within(1000, 2000);
    }
    expect(arrivals).to.have.length(cases.length);
  });

  real('ends a cooldown wait at once when the caller aborts, sending nothing and leaving no timer', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    const controller = new AbortController();
    const call = outcome(api.get('/x', { signal: controller.signal }));
    // Counted as it starts waiting.
    await until(() => handle.stats().cooldown?.waited === 1);
    controller.abort();
    const { error } = await call;

    expect(axios.isCancel(error)).to.equal(true);
    expect(error).to.be.instanceOf(CanceledError);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
    expect(arrivals).to.have.length(1);
    // It ended with most of the cooldown still ahead; itLeakFree then checks that the wait's
    // timer (2 s and more) was cleared, not left to hold the process.
    expect(left(handle, origin)).to.be.above(1000);
    expect(handle.stats().giveUps).to.deep.equal({ 'retries-exhausted': 1, aborted: 1 });
  });

  real('ends a scheduled retry waiting for a cooldown when the caller aborts, giving up once', async () => {
    const arrivals: Arrival[] = [];
    const { handler, held } = holdingFirstX(arrivals, [429, { 'retry-after-ms': '2000' }]);
    server = await startServer(handler);
    const gaveUp: string[] = [];
    const { api, handle, origin } = attached({
      retries: 2,
      baseDelay: 1,
      jitter: 'none',
      onGiveUp: ({ config, stopReason }) => void gaveUp.push(`${config?.url} ${stopReason}`),
    });
    const controller = new AbortController();
    const x = outcome(api.get('/x', { signal: controller.signal }));
    await until(() => held() !== undefined);
    await outcome(api.get('/y', { retry: { retries: 0 } }));
    expect(left(handle, origin)).to.be.above(1000);
    // The 503 carries no server time: its retry (1 ms of backoff) then waits for the cooldown.
    held()?.writeHead(503).end();
    await until(() => handle.stats().cooldown?.waited === 1);
    controller.abort();
    const { error } = await x;

    expect(axios.isCancel(error)).to.equal(true);
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'aborted' });
    expect(arrivals.map((a) => a.path)).to.deep.equal(['/x', '/y']);
    expect(left(handle, origin)).to.be.above(1000);
    // Let any late echo of the abandoned replay arrive before counting.
    await idle(50);
    expect(gaveUp).to.deep.equal(['/y retries-exhausted', '/x aborted']);
    expect(handle.stats().giveUps).to.deep.equal({ 'retries-exhausted': 1, aborted: 1 });
  });

  real('ends a cooldown wait when a CancelToken cancels it, too', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle, origin } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    const source = axios.CancelToken.source();
    const call = outcome(api.get('/x', { cancelToken: source.token }));
    await until(() => handle.stats().cooldown?.waited === 1);
    source.cancel('no longer needed');
    const { error } = await call;

    expect(axios.isCancel(error)).to.equal(true);
    expect((error as Error).message).to.equal('no longer needed');
    expect(getRetryState(error)?.stopReason).to.equal('aborted');
    expect(arrivals).to.have.length(1);
    expect(left(handle, origin)).to.be.above(1000);
  });

  real('starts the attempt timer only when the request is sent, not while it waits for a cooldown', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '300' }])));
    const { api, handle } = attached({ retries: 0 });
    await outcome(api.get('/x'));
    // Waits 300 ms and more, far past its attemptTimeout, and is still sent and answered.
    const response = await api.get('/x', { retry: { attemptTimeout: 100 } });
    expect(response.status).to.equal(200);
    expect(getRetryState(response)?.attempt).to.equal(1);
    expect((arrivals[1]?.at ?? 0) - (arrivals[0]?.at ?? 0)).to.be.at.least(300);
    expect(handle.stats().cooldown?.waited).to.equal(1);
  });

  real('starts no cooldown with respectRetryAfter: false: the next request goes at once', async () => {
    const arrivals: Arrival[] = [];
    server = await startServer(answering(arrivals, firstThen200([429, { 'retry-after-ms': '2000' }])));
    const { api, handle } = attached({ retries: 0, respectRetryAfter: false });
    await outcome(api.get('/x'));
    expect(handle.stats().cooldown?.origins).to.deep.equal({});

    const response = await api.get('/x', { retry: { deadline: 200 } });
    expect(response.status).to.equal(200);
    expect(arrivals.map((a) => a.status)).to.deep.equal([429, 200]);
    expect(handle.stats().cooldown).to.deep.equal({ origins: {}, waited: 0, failedFast: 0 });
  });
});
