import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import axios, { AxiosError, CanceledError } from 'axios';
import { expect } from 'chai';
import sinon from 'sinon';
import type { Admission, CircuitBreakerLike, RetryHandle, RetryOptions } from '../../lib/index.js';
import { AdaptiveThrottle, attachRetry, Cooldown, getRetryState, RetryBudget } from '../../lib/index.js';
import { fakeClock, idle, outcome, recordingLogger } from '../helpers.js';

/** What one copy does: answer after `ms` with a status (or fail with a network `code`), unless aborted first. */
interface Step {
  ms: number;
  status?: number;
  code?: string;
  headers?: Record<string, string>;
}

interface Call {
  url: string | undefined;
  sentAt: number;
  aborted: boolean;
  settled: boolean;
}

/**
 * An adapter that answers on the (fake) clock from a script, one step per copy sent, and
 * honours the copy's signal as axios's adapters do: a CanceledError at once.
 */
function scripted(steps: Step[], fallback: Step = { ms: 10, status: 200 }) {
  const calls: Call[] = [];
  const adapter: AxiosAdapter = (config: InternalAxiosRequestConfig) =>
    new Promise<AxiosResponse>((resolve, reject) => {
      const step = steps.shift() ?? fallback;
      const call: Call = { url: config.url, sentAt: Date.now(), aborted: false, settled: false };
      calls.push(call);
      const signal = config.signal as AbortSignal | undefined;
      const timer = setTimeout(() => {
        call.settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (step.code) {
          reject(new AxiosError(step.code, step.code, config));
          return;
        }
        const status = step.status ?? 200;
        const response = {
          data: `copy ${calls.indexOf(call) + 1}`,
          status,
          statusText: '',
          headers: step.headers ?? {},
          config,
        };
        if (status < 400) resolve(response as AxiosResponse);
        else
          reject(new AxiosError(`status ${status}`, 'ERR_BAD_RESPONSE', config, undefined, response as AxiosResponse));
      }, step.ms);
      const onAbort = () => {
        clearTimeout(timer);
        call.aborted = true;
        call.settled = true;
        reject(new CanceledError(undefined, undefined, config));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  return { adapter, calls };
}

function hedgedClient(steps: Step[], options: Partial<RetryOptions> = {}) {
  const { adapter, calls } = scripted(steps);
  const api = axios.create({ baseURL: 'http://api.test', adapter });
  const logger = recordingLogger();
  const handle: RetryHandle = attachRetry(api, {
    baseDelay: 100,
    jitter: 'none',
    logger,
    hedge: { delay: 50, maxExtraLoad: 1 },
    ...options,
  });
  return { api, handle, calls, logger };
}

/** Runs `promise` to its end on the fake clock, a timer at a time. */
async function settle<T>(clock: sinon.SinonFakeTimers, promise: Promise<T>) {
  let result: { value?: T; error?: unknown } | undefined;
  void outcome(promise).then((r) => (result = r));
  for (let i = 0; i < 100 && !result; i++) {
    await idle(3);
    if (!result) await clock.nextAsync();
  }
  if (!result) throw new Error('did not settle');
  return result;
}

describe('hedged requests (hedge)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('sends a second copy after `delay`, takes the first good answer and aborts the other copy', async () => {
    const { api, handle, calls, logger } = hedgedClient([{ ms: 1000 }, { ms: 10 }]);
    const { value } = await settle(clock, api.get('/search'));
    expect(value?.data).to.equal('copy 2');
    expect(Date.now()).to.equal(60);
    expect(calls.map((c) => c.sentAt)).to.deep.equal([0, 50]);
    expect(calls[0]?.aborted).to.equal(true);
    expect(getRetryState(value)?.history).to.deep.equal([
      { attempt: 1, status: 200, durationMs: 60, hedges: 1, hedgeWon: true },
    ]);
    expect(handle.stats()).to.deep.include({ requests: 1, attempts: 1, retries: 0, hedges: 1, successes: 1 });
    expect(logger.lines).to.deep.include({
      level: 'info',
      line: 'axios-rebound: GET http://api.test/search attempt 1/4 had no answer in 50ms; hedging with copy 2',
    });
    expect(clock.countTimers()).to.equal(0);
  });

  it('sends no hedge when the first copy answers within `delay`, and leaves no timer', async () => {
    const { api, handle, calls } = hedgedClient([{ ms: 20 }]);
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 1');
    expect(calls).to.have.length(1);
    expect(getRetryState(value)?.history).to.deep.equal([{ attempt: 1, status: 200, durationMs: 20 }]);
    expect(handle.stats().hedges).to.equal(0);
    expect(clock.countTimers()).to.equal(0);
  });

  it('keeps waiting for the other copy when one fails with a retryable failure: no retry is used', async () => {
    const { api, calls } = hedgedClient([{ ms: 100, status: 503 }, { ms: 200 }]);
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 2');
    expect(Date.now()).to.equal(250);
    expect(calls).to.have.length(2);
    expect(getRetryState(value)).to.deep.include({ attempt: 1 });
  });

  it('also keeps the first copy when the hedge fails fast with a network error', async () => {
    const { api } = hedgedClient([{ ms: 300 }, { ms: 5, code: 'ECONNRESET' }]);
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 1');
    expect(getRetryState(value)?.history).to.deep.equal([{ attempt: 1, status: 200, durationMs: 300, hedges: 1 }]);
  });

  it('ends the attempt with a failure that is not retryable, whichever copy has it', async () => {
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10, status: 404 }]);
    const { error } = await settle(clock, api.get('/x'));
    expect((error as AxiosError).response?.status).to.equal(404);
    expect(calls[0]?.aborted).to.equal(true);
    expect(getRetryState(error)).to.deep.include({ attempt: 1, stopReason: 'not-retryable' });
  });

  it('goes on to a normal retry when every copy fails', async () => {
    const { api, handle, calls } = hedgedClient([{ ms: 100, status: 503 }, { ms: 100, status: 502 }, { ms: 10 }]);
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 3');
    expect(calls.map((c) => c.sentAt)).to.deep.equal([0, 50, 250]);
    expect(getRetryState(value)?.history).to.deep.equal([
      { attempt: 1, status: 502, code: 'ERR_BAD_RESPONSE', durationMs: 150, hedges: 1, hedgeWon: true, delayMs: 100 },
      { attempt: 2, status: 200, durationMs: 10 },
    ]);
    expect(handle.stats()).to.deep.include({ attempts: 2, retries: 1, hedges: 1 });
  });

  it('never hedges a POST without an idempotency key, and hedges one that has a key', async () => {
    const plain = hedgedClient([{ ms: 1000 }, { ms: 10 }]);
    const { value } = await settle(clock, plain.api.post('/orders', { a: 1 }));
    expect(value?.data).to.equal('copy 1');
    expect(plain.calls).to.have.length(1);

    const keyed = hedgedClient([{ ms: 1000 }, { ms: 10 }], { idempotencyKey: true });
    const second = await settle(clock, keyed.api.post('/orders', { a: 1 }));
    expect(second.value?.data).to.equal('copy 2');
    expect(keyed.calls).to.have.length(2);
  });

  it('sends at most `maxHedges` extra copies, each `delay` after the one before', async () => {
    const { api, calls } = hedgedClient([{ ms: 10 }, { ms: 1000 }, { ms: 1000 }, { ms: 1000 }, { ms: 1000 }], {
      hedge: { delay: 50, maxHedges: 2, maxExtraLoad: 1 },
    });
    // A first attempt before, so that the extra-load cap (1 × 2 first attempts) is not what stops at 2.
    await settle(clock, api.get('/warm'));
    calls.shift();
    const started = Date.now();
    const { value } = await settle(clock, api.get('/x'));
    expect(calls.map((c) => c.sentAt - started)).to.deep.equal([0, 50, 100]);
    expect(value?.data).to.equal('copy 1');
    expect(getRetryState(value)?.history[0]).to.include({ hedges: 2 });
    expect(calls.slice(1).every((c) => c.aborted)).to.equal(true);
  });

  it('keeps hedges within maxExtraLoad of the first attempts (20 first attempts earn one hedge at 5 %)', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 19; i++) steps.push({ ms: 10 });
    steps.push({ ms: 1000 }, { ms: 1000 }, { ms: 10 });
    const { api, handle, calls } = hedgedClient(steps, { hedge: { delay: 50 } });
    for (let i = 0; i < 19; i++) await settle(clock, api.get('/x'));
    // The 20th earns the first hedge: 1 ≤ 0.05 × 20.
    await settle(clock, api.get('/x'));
    expect(calls).to.have.length(21);
    // The 21st is refused: 2 > 0.05 × 21.
    await settle(clock, api.get('/x'));
    expect(calls).to.have.length(22);
    expect(handle.stats().hedges).to.equal(1);
  });

  it('keeps the extra-load cap per origin: first attempts to one origin earn no hedge for another', async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 40; i++) steps.push({ ms: 10 });
    steps.push({ ms: 1000 }, { ms: 10 });
    const { api, calls, handle } = hedgedClient(steps, { hedge: { delay: 50 } });
    for (let i = 0; i < 40; i++) await settle(clock, api.get('http://fast.test/x'));
    await settle(clock, api.get('http://slow.test/x'));
    expect(calls).to.have.length(41);
    expect(handle.stats().hedges).to.equal(0);
  });

  it("sends no hedge, and throws nowhere, when a budget of the user's throws", async () => {
    const budget = new RetryBudget();
    budget.tryRetry = () => {
      throw new Error('budget broke');
    };
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }], { budget });
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 1');
    expect(calls).to.have.length(1);
  });

  it("sends no hedge while the throttle rejects a share of the origin's requests", async () => {
    const throttle = new AdaptiveThrottle({ minRequests: 0, random: () => 0.999 });
    throttle.record('http://api.test', { status: 503, network: false });
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }], { throttle });
    await settle(clock, api.get('/x'));
    expect(calls).to.have.length(1);
  });

  it("cools the origin on a losing copy's 429 with a time, though another copy wins", async () => {
    const cooldown = new Cooldown();
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10, status: 429, headers: { 'retry-after': '5' } }], {
      cooldown,
    });
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 1');
    expect(calls).to.have.length(2);
    expect(cooldown.snapshot().origins['http://api.test']).to.be.within(3000, 5000);
  });

  it('sends no hedge the retry budget refuses: a hedge spends a retry', async () => {
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 });
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }], { budget });
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 1');
    expect(calls).to.have.length(1);

    const spending = new RetryBudget({ ratio: 0, minRetriesPerSecond: 1 });
    const second = hedgedClient([{ ms: 1000 }, { ms: 10 }], { budget: spending });
    await settle(clock, second.api.get('/x'));
    expect(second.calls).to.have.length(2);
    expect(spending.snapshot().window.retries).to.equal(1);
  });

  it('sends no hedge while the cooldown holds an origin', async () => {
    const cooldown = new Cooldown();
    cooldown.coolDown('http://elsewhere.test', 10_000);
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }], { cooldown });
    await settle(clock, api.get('/x'));
    expect(calls).to.have.length(1);
  });

  it('sends no hedge while the circuit is not closed, and gives a half-open probe slot back', async () => {
    const records: unknown[][] = [];
    const admissions: Admission[] = [
      { allowed: true, probe: false },
      { allowed: true, probe: true, ticket: 7 },
    ];
    const breaker: CircuitBreakerLike = {
      keyOf: () => 'k',
      acquire: () => admissions.shift() ?? { allowed: false, retryAfterMs: 1000 },
      record: (...args) => void records.push(args),
      snapshot: () => ({}),
    };
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }], { circuitBreaker: breaker });
    await settle(clock, api.get('/x'));
    expect(calls).to.have.length(1);
    // The probe slot goes back with its ticket, so that it moves only its own cycle.
    expect(records).to.deep.equal([
      ['k', 'neutral', true, 7],
      ['k', 'success', false, undefined],
    ]);
  });

  it('sends no hedge after a response of the call carried a server time', async () => {
    const { api, calls } = hedgedClient([{ ms: 10, status: 503, headers: { 'retry-after': '1' } }, { ms: 1000 }], {
      cooldown: false,
    });
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 2');
    expect(calls).to.have.length(2);
  });

  it("with delay 'p95', hedges only after 20 latencies of the origin, at their 95th percentile", async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 20; i++) steps.push({ ms: 10 + (i % 10) });
    steps.push({ ms: 1000 }, { ms: 5 }, { ms: 1000 });
    const { api, calls } = hedgedClient(steps, { hedge: { delay: 'p95', maxExtraLoad: 1 } });
    // The warm-up: the 20th request is the first with 20 latencies behind it... for the next one.
    for (let i = 0; i < 20; i++) await settle(clock, api.get('/x'));
    expect(calls).to.have.length(20);
    const started = Date.now();
    const { value } = await settle(clock, api.get('/x'));
    expect(value?.data).to.equal('copy 22');
    // p95 of 10..19 (twice each) is 19 ms.
    expect(calls[21]?.sentAt).to.equal(started + 19);
    // Another origin warms up on its own.
    await settle(clock, api.get('http://other.test/x'));
    expect(calls).to.have.length(23);
  });

  it("with delay 'p95', counts a first copy a hedge beat as taking the delay it was hedged at", async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 20; i++) steps.push({ ms: 10 });
    // Ten slow first copies, each beaten by a hedge that answers 40 ms after it went.
    for (let i = 0; i < 10; i++) steps.push({ ms: 1000 }, { ms: 40 });
    steps.push({ ms: 1000 }, { ms: 5 });
    const { api, calls } = hedgedClient(steps, { hedge: { delay: 'p95', maxExtraLoad: 1 } });
    for (let i = 0; i < 30; i++) await settle(clock, api.get('/x'));
    expect(calls).to.have.length(40);
    const started = Date.now();
    await settle(clock, api.get('/x'));
    // All that is known of the ten is that they took longer than 10 ms: counted at 10 ms, the
    // percentile stays there. Counted at the 50 ms the hedges' answers came, it would climb to
    // 50 ms, and each hedge would go later than the one before.
    expect(calls[41]?.sentAt).to.equal(started + 10);
  });

  it("with delay 'p95', records no sample for an attempt whose first copy failed before a hedge won", async () => {
    const steps: Step[] = [];
    for (let i = 0; i < 20; i++) steps.push({ ms: 10 });
    // The first copy fails at 15 ms while the first hedge is on its way; the second hedge wins.
    for (let i = 0; i < 10; i++) steps.push({ ms: 15, status: 503 }, { ms: 1000 }, { ms: 5 });
    steps.push({ ms: 1000 }, { ms: 5 });
    const { api, calls } = hedgedClient(steps, {
      hedge: { delay: 'p95', maxHedges: 2, maxExtraLoad: 1 },
      budget: false,
    });
    for (let i = 0; i < 30; i++) await settle(clock, api.get('/x'));
    expect(calls).to.have.length(50);
    const started = Date.now();
    await settle(clock, api.get('/x'));
    // Counted as still waiting when the second hedge was due (20 ms), the ten would have
    // raised the percentile to 20 ms; the first copies had answered, with a 503, at 15.
    expect(calls[51]?.sentAt).to.equal(started + 10);
  });

  it("with delay 'p95', keeps its delay when every hedge goes late: the lateness does not creep in", async () => {
    // Everything faked, setImmediate too: each turn the hedge decision waits for takes a fake
    // ms, so every hedge goes a few ms after its delay, as on a busy event loop.
    clock.restore();
    clock = sinon.useFakeTimers();
    const steps: Step[] = [];
    for (let i = 0; i < 20; i++) steps.push({ ms: 10 });
    for (let i = 0; i < 60; i++) steps.push({ ms: 1000 }, { ms: 5 });
    // No retry budget: 60 hedges in a second of fake time would spend it.
    const { api, calls } = hedgedClient(steps, { hedge: { delay: 'p95', maxExtraLoad: 1 }, budget: false });
    const offsets: number[] = [];
    for (let i = 0; i < 80; i++) {
      const before = calls.length;
      const started = Date.now();
      let ended = false;
      void outcome(api.get('/x')).then(() => (ended = true));
      for (let ms = 0; ms < 2000 && !ended; ms++) await clock.tickAsync(1);
      expect(ended).to.equal(true);
      const hedge = calls[before + 1];
      if (hedge) offsets.push(hedge.sentAt - started);
    }
    expect(offsets).to.have.length(60);
    // Counted at the time each hedge really went, the percentile would rise by the lateness
    // whenever it landed on a hedged sample, and each hedge would go later than the last.
    expect(new Set(offsets).size, `offsets ${offsets.join(' ')}`).to.equal(1);
    expect(offsets[0]).to.be.within(10, 14);
  });

  it('bounds the copies with attemptTimeout: both are aborted and no timer is left', async () => {
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 1000 }], { attemptTimeout: 100, retries: 0 });
    const { error } = await settle(clock, api.get('/x'));
    expect((error as AxiosError).code).to.equal('ETIMEDOUT');
    expect(Date.now()).to.equal(100);
    expect(calls.every((c) => c.aborted)).to.equal(true);
    expect(clock.countTimers()).to.equal(0);
  });

  it('bounds the hedges with the deadline: none is sent past it', async () => {
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 1000 }], { deadline: 40 });
    const { error } = await settle(clock, api.get('/x'));
    expect((error as AxiosError).code).to.equal('ETIMEDOUT');
    expect(calls).to.have.length(1);
    expect(clock.countTimers()).to.equal(0);
  });

  it('sends nothing when the caller aborts in a microtask queued before the attempt starts', async () => {
    const controller = new AbortController();
    // A throttle key function of the user's is the last user code before the attempt is sent.
    const throttle = new AdaptiveThrottle({
      key: () => {
        queueMicrotask(() => controller.abort());
        return 'k';
      },
    });
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 1000 }], { throttle });
    const { error } = await settle(clock, api.get('/x', { signal: controller.signal }));
    expect(error).to.be.instanceOf(CanceledError);
    expect(calls).to.have.length(0);
    expect(clock.countTimers()).to.equal(0);
  });

  it("aborts every copy at the caller's abort", async () => {
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 1000 }]);
    const controller = new AbortController();
    const pending = outcome(api.get('/x', { signal: controller.signal }));
    await clock.tickAsync(60);
    // The hedge is decided once the I/O already waiting has run: a few real turns.
    await idle();
    expect(calls).to.have.length(2);
    controller.abort();
    const { error } = await pending;
    expect(error).to.be.instanceOf(CanceledError);
    await idle();
    expect(calls.every((c) => c.aborted)).to.equal(true);
    expect(clock.countTimers()).to.equal(0);
  });

  it('is off per request with retry: { hedge: false }, and on per request over an instance without it', async () => {
    const { api, calls } = hedgedClient([{ ms: 1000 }, { ms: 10 }, { ms: 1000 }, { ms: 10 }]);
    await settle(clock, api.get('/x', { retry: { hedge: false } }));
    expect(calls).to.have.length(1);

    const { adapter, calls: plainCalls } = scripted([{ ms: 1000 }, { ms: 10 }]);
    const plain = axios.create({ baseURL: 'http://api.test', adapter });
    attachRetry(plain);
    const { value } = await settle(clock, plain.get('/x', { retry: { hedge: { delay: 50, maxExtraLoad: 1 } } }));
    expect(value?.data).to.equal('copy 2');
    expect(plainCalls).to.have.length(2);
  });

  it('rejects invalid hedge options with a TypeError naming the field', () => {
    const api = axios.create();
    const bad: [unknown, RegExp][] = [
      [true, /option "hedge" must be false or \{ delay/],
      [{}, /option "hedge.delay" must be a finite number >= 0 \(ms\) or 'p95', got undefined/],
      [{ delay: -1 }, /"hedge.delay" must be/],
      [{ delay: 'p99' }, /"hedge.delay" must be/],
      [{ delay: 10, maxHedges: 0 }, /"hedge.maxHedges" must be an integer >= 1, got 0/],
      [{ delay: 10, maxExtraLoad: 2 }, /"hedge.maxExtraLoad" must be a number > 0 and <= 1, got 2/],
      [{ delay: 10, maxHedge: 2 }, /unknown option "hedge.maxHedge" \(did you mean "hedge.maxHedges"\?\)/],
    ];
    for (const [hedge, message] of bad) {
      expect(() => attachRetry(api, { hedge } as Partial<RetryOptions>)).to.throw(TypeError, message);
    }
    const handle = attachRetry(api, { hedge: { delay: 'p95' } });
    expect(handle.options.hedge).to.deep.equal({ delay: 'p95', maxHedges: 1, maxExtraLoad: 0.05 });
    handle.detach();
  });
});
