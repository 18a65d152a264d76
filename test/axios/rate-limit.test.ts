import type { AxiosAdapter, AxiosInstance } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { RetryOptions } from '../../lib/index.js';
import {
  attachRetry,
  CircuitBreaker,
  Cooldown,
  getRetryState,
  RateLimitedError,
  RetryBudget,
} from '../../lib/index.js';
import { drive, fakeClock, ORIGIN, outcome } from '../helpers.js';

/**
 * An attached instance whose `inFlight()` counts requests inside axios's own adapter: a request
 * waiting for a cooldown (in our adapter, before axios's) is not in flight, so fake time may move.
 */
function rateLimited(options: Partial<RetryOptions> = {}, before?: (api: AxiosInstance) => void) {
  let inFlight = 0;
  const http = axios.getAdapter('http');
  const adapter: AxiosAdapter = async (config) => {
    inFlight += 1;
    try {
      return await http(config);
    } finally {
      inFlight -= 1;
    }
  };
  const api = axios.create({ baseURL: ORIGIN, adapter });
  before?.(api);
  const handle = attachRetry(api, { baseDelay: 10, jitter: 'none', ...options });
  return { api, handle, inFlight: () => inFlight };
}

/** Scripts `method /x` to answer `replies` in order, noting the (fake) time and headers of each request. */
function script(replies: [number, Record<string, string>?][], method: 'get' | 'post' = 'get') {
  const arrivals: { at: number; headers: Record<string, string | string[] | undefined> }[] = [];
  for (const [status, headers] of replies) {
    nock(ORIGIN)
      .intercept('/x', method.toUpperCase())
      .reply(function () {
        arrivals.push({ at: Date.now(), headers: this.req.headers });
        return [status, '', headers ?? {}];
      });
  }
  return arrivals;
}

const gaps = (arrivals: { at: number }[]) => arrivals.slice(1).map((a, i) => a.at - (arrivals[i]?.at ?? 0));

async function run(api: AxiosInstance, inFlight: () => number, clock: sinon.SinonFakeTimers, method = 'get') {
  return drive(clock, api.request({ url: '/x', method }), () => inFlight() === 0);
}

describe('rate limits and conflicts (nock, fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
    // A wall clock of today, so that a reset given as an epoch reads as one.
    clock.setSystemTime(Date.UTC(2026, 11, 1));
  });
  afterEach(() => {
    clock.restore();
    nock.cleanAll();
  });

  describe('server times besides Retry-After', () => {
    it('waits retry-after-ms, spread at most 20% above it', async () => {
      const arrivals = script([[429, { 'retry-after-ms': '1500' }], [200]]);
      const { api, inFlight } = rateLimited();
      expect((await run(api, inFlight, clock)).value?.status).to.equal(200);
      expect(gaps(arrivals)[0]).to.be.within(1500, 1800);
    });

    it('waits the t of a spent RateLimit policy', async () => {
      const arrivals = script([[429, { RateLimit: '"burst";r=3;t=1, "daily";r=0;t=4' }], [200]]);
      const { api, inFlight } = rateLimited();
      await run(api, inFlight, clock);
      expect(gaps(arrivals)[0]).to.be.within(4000, 4800);
    });

    it('waits for a 429 x-ratelimit-reset given as Unix seconds (auto)', async () => {
      const reset = String(Math.ceil(Date.now() / 1000) + 3);
      const arrivals = script([[429, { 'x-ratelimit-reset': reset }], [200]]);
      const { api, inFlight } = rateLimited();
      await run(api, inFlight, clock);
      expect(gaps(arrivals)[0]).to.be.within(3000, 3600);
    });

    it('ignores an epoch declared as delta-seconds (56 years): normal backoff, never that wait', async () => {
      const reset = String(Math.ceil(Date.now() / 1000) + 3);
      const arrivals = script([[429, { 'x-ratelimit-reset': reset }], [200]]);
      const { api, inFlight } = rateLimited({
        resetHeaders: [{ header: 'X-RateLimit-Reset', format: 'delta-seconds' }],
        cooldown: false,
      });
      await run(api, inFlight, clock);
      expect(gaps(arrivals)).to.deep.equal([10]);
    });

    it('gives up at once on a server time past maxRetryAfter, whichever header says it', async () => {
      for (const headers of [{ 'retry-after-ms': '90000' }, { RateLimit: 'q;r=0;t=90' }]) {
        const arrivals = script([[429, headers]]);
        const { api, inFlight } = rateLimited({ cooldown: false });
        const { error } = await run(api, inFlight, clock);
        expect(getRetryState(error)?.stopReason, JSON.stringify(headers)).to.equal('retry-after-too-long');
        expect(arrivals).to.have.length(1);
      }
    });

    it('reads none of them with respectRetryAfter: false', async () => {
      const arrivals = script([[429, { 'retry-after-ms': '5000' }], [200]]);
      const { api, handle, inFlight } = rateLimited({ respectRetryAfter: false });
      await run(api, inFlight, clock);
      expect(gaps(arrivals)).to.deep.equal([10]);
      expect(handle.stats().cooldown?.origins).to.deep.equal({});
    });
  });

  describe("the server's verdict", () => {
    it('x-should-retry: false stops at once with server-declined', async () => {
      const arrivals = script([[503, { 'x-should-retry': 'false' }]]);
      const { api, handle, inFlight } = rateLimited();
      const { error } = await run(api, inFlight, clock);
      expect(getRetryState(error)?.stopReason).to.equal('server-declined');
      expect(arrivals).to.have.length(1);
      expect(handle.stats().giveUps).to.deep.equal({ 'server-declined': 1 });
    });

    it('Stripe-Should-Retry: false stops too, even when shouldRetry says yes', async () => {
      const arrivals = script([[503, { 'Stripe-Should-Retry': 'false' }]]);
      const { api, inFlight } = rateLimited({ shouldRetry: () => true });
      const { error } = await run(api, inFlight, clock);
      expect(getRetryState(error)?.stopReason).to.equal('server-declined');
      expect(arrivals).to.have.length(1);
    });

    it('x-should-retry: true retries a status not in statusCodes', async () => {
      const arrivals = script([[404, { 'x-should-retry': 'true' }], [200]]);
      const { api, inFlight } = rateLimited();
      expect((await run(api, inFlight, clock)).value?.status).to.equal(200);
      expect(arrivals).to.have.length(2);
    });

    it('x-should-retry: true never resends a POST without a key, nor a 400', async () => {
      const post = script([[503, { 'x-should-retry': 'true' }]], 'post');
      const first = rateLimited();
      expect(getRetryState((await run(first.api, first.inFlight, clock, 'post')).error)?.stopReason).to.equal(
        'not-retryable',
      );
      expect(post).to.have.length(1);
      const bad = script([[400, { 'x-should-retry': 'true' }]]);
      const second = rateLimited({ statusCodes: [400, 503] });
      expect(getRetryState((await run(second.api, second.inFlight, clock)).error)?.stopReason).to.equal(
        'not-retryable',
      );
      expect(bad).to.have.length(1);
    });

    it('is ignored with respectShouldRetry: false', async () => {
      const arrivals = script([[503, { 'x-should-retry': 'false' }], [200]]);
      const { api, inFlight } = rateLimited({ respectShouldRetry: false });
      expect((await run(api, inFlight, clock)).value?.status).to.equal(200);
      expect(arrivals).to.have.length(2);
    });
  });

  describe('idempotency conflicts (IETF Idempotency-Key draft)', () => {
    const keyed = { idempotencyKey: { generate: () => 'key-1' } };

    it('retries a keyed POST that got 409 (still processing), with the same key, after the server time', async () => {
      const arrivals = script([[409, { 'Retry-After': '1' }], [201]], 'post');
      const { api, inFlight } = rateLimited(keyed);
      expect((await run(api, inFlight, clock, 'post')).value?.status).to.equal(201);
      expect(arrivals.map((a) => a.headers['idempotency-key'])).to.deep.equal(['key-1', 'key-1']);
      expect(gaps(arrivals)[0]).to.be.within(1000, 1200);
    });

    it('does not retry a 409 without a key', async () => {
      const arrivals = script([[409], [200]]);
      const { api, inFlight } = rateLimited();
      expect(getRetryState((await run(api, inFlight, clock)).error)?.stopReason).to.equal('not-retryable');
      expect(arrivals).to.have.length(1);
      nock.cleanAll();
    });

    it('ends a keyed 422 with idempotency-key-mismatch, whatever shouldRetry or x-should-retry say', async () => {
      const arrivals = script([[422, { 'x-should-retry': 'true' }]], 'post');
      const { api, inFlight } = rateLimited({ ...keyed, statusCodes: [422], shouldRetry: () => true });
      const { error } = await run(api, inFlight, clock, 'post');
      expect(getRetryState(error)?.stopReason).to.equal('idempotency-key-mismatch');
      expect(arrivals).to.have.length(1);
    });

    it('retries a 413 only when it carries a Retry-After', async () => {
      const temporary = script([[413, { 'Retry-After': '2' }], [200]]);
      const first = rateLimited();
      expect((await run(first.api, first.inFlight, clock)).value?.status).to.equal(200);
      expect(gaps(temporary)[0]).to.be.within(2000, 2400);
      const permanent = script([[413], [200]]);
      const second = rateLimited({ statusCodes: [413, 503] });
      expect(getRetryState((await run(second.api, second.inFlight, clock)).error)?.stopReason).to.equal(
        'not-retryable',
      );
      expect(permanent).to.have.length(1);
    });

    it("sends the key as a Structured Field String with format: 'sf-string', the same on each attempt", async () => {
      const arrivals = script([[503], [201]], 'post');
      const { api, inFlight } = rateLimited({
        idempotencyKey: { format: 'sf-string', generate: () => 'a"b\\c' },
      });
      expect((await run(api, inFlight, clock, 'post')).value?.status).to.equal(201);
      expect(arrivals.map((a) => a.headers['idempotency-key'])).to.deep.equal(['"a\\"b\\\\c"', '"a\\"b\\\\c"']);
    });

    it("refuses a generated key that is not printable ASCII under 'sf-string', sending nothing", async () => {
      const arrivals = script([[201]], 'post');
      const { api, inFlight } = rateLimited({ idempotencyKey: { format: 'sf-string', generate: () => 'clé' } });
      const { error } = await run(api, inFlight, clock, 'post');
      expect(error).to.be.instanceOf(TypeError).with.property('message').that.contains('printable ASCII');
      expect(arrivals).to.have.length(0);
    });
  });

  describe('the cooldown per origin', () => {
    it('makes a new request to a cooling origin wait until the time, spread at most max(50 ms, 20%) after', async () => {
      const arrivals = script([[429, { 'retry-after-ms': '1000' }]]);
      const { api, handle, inFlight } = rateLimited({ retries: 0 });
      await run(api, inFlight, clock);
      const sentAt = Date.now();
      script([[200]]);
      const later = await run(api, inFlight, clock);
      expect(later.value?.status).to.equal(200);
      const waited = Date.now() - sentAt;
      expect(waited).to.be.within(1000 - (sentAt - (arrivals[0]?.at ?? 0)), 1200);
      expect(handle.stats().cooldown).to.include({ waited: 1, failedFast: 0 });
    });

    it('fails fast with ERR_RATE_LIMITED when the wait does not fit maxRetryAfter, sending nothing', async () => {
      script([[429, { 'retry-after-ms': '5000' }]]);
      const { api, handle, inFlight } = rateLimited({ retries: 0, maxRetryAfter: 10_000 });
      await run(api, inFlight, clock);
      const scope = nock(ORIGIN).get('/x').reply(200);
      const { error } = await outcome(api.get('/x', { retry: { maxRetryAfter: 1000 } }));
      expect(error).to.be.instanceOf(RateLimitedError);
      expect(error).to.include({ code: 'ERR_RATE_LIMITED' });
      expect((error as RateLimitedError).retryAfterMs).to.be.within(4900, 6000);
      expect((error as RateLimitedError).config?.url).to.equal('/x');
      expect(getRetryState(error)?.stopReason).to.equal('rate-limited');
      expect(scope.isDone()).to.equal(false);
      expect(handle.stats()).to.deep.include({ giveUps: { 'retries-exhausted': 1, 'rate-limited': 1 } });
      expect(handle.stats().cooldown?.failedFast).to.equal(1);
    });

    it('shows cooling origins in stats, and forgets them once their time has passed', async () => {
      script([[503, { 'Retry-After': '3' }]]);
      const { api, handle, inFlight } = rateLimited({ retries: 0 });
      await run(api, inFlight, clock);
      expect(handle.stats().cooldown?.origins[ORIGIN]).to.be.within(2900, 3000);
      await clock.tickAsync(3000);
      expect(handle.stats().cooldown?.origins).to.deep.equal({});
    });

    it('is never a circuit breaker failure: 429s that start a cooldown do not open the circuit', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      const { api, inFlight } = rateLimited({ retries: 0, circuitBreaker: breaker, cooldown: new Cooldown() });
      for (let i = 0; i < 3; i++) {
        script([[429, { 'retry-after-ms': '100' }]]);
        await run(api, inFlight, clock);
        await clock.tickAsync(200);
      }
      expect(breaker.snapshot()).to.deep.equal({});
    });

    it('never cools an origin longer than maxRetryAfter, however far (or unrepresentable) the server time', async () => {
      for (const retryAfter of ['9'.repeat(400), '4000000000']) {
        script([[503, { 'Retry-After': retryAfter }]]);
        const { api, handle, inFlight } = rateLimited({ maxRetryAfter: 5000 });
        const { error } = await run(api, inFlight, clock);
        expect(getRetryState(error)?.stopReason).to.equal('retry-after-too-long');
        expect(handle.stats().cooldown?.origins[ORIGIN]).to.be.within(1, 5000);
        await clock.tickAsync(5000);
        expect(handle.stats().cooldown?.origins).to.deep.equal({});
      }
    });

    it('looks at the cooldown again after a wait: a cooldown lengthened meanwhile is waited for too', async () => {
      const cooldown = new Cooldown();
      cooldown.coolDown(ORIGIN, 1000);
      const arrivals = script([[200]]);
      const { api, inFlight } = rateLimited({ cooldown });
      const start = Date.now();
      setTimeout(() => cooldown.coolDown(ORIGIN, 5000), 500);
      expect((await run(api, inFlight, clock)).value?.status).to.equal(200);
      expect((arrivals[0]?.at ?? 0) - start).to.be.within(5500, 6600);
    });

    it('decides between waiting and failing fast on the server time, not on the random spread', async () => {
      const cooldown = new Cooldown();
      const { api, inFlight } = rateLimited({ cooldown, maxRetryAfter: 60_000 });
      for (let i = 0; i < 10; i++) {
        cooldown.coolDown(ORIGIN, 58_000);
        script([[200]]);
        expect((await run(api, inFlight, clock)).value?.status, `request ${i}`).to.equal(200);
      }
      expect(cooldown.snapshot()).to.include({ waited: 10, failedFast: 0 });
    });

    it('is not heeded by a request with respectRetryAfter: false', async () => {
      const cooldown = new Cooldown();
      cooldown.coolDown(ORIGIN, 30_000);
      const arrivals = script([[200]]);
      const { api } = rateLimited({ cooldown });
      expect((await api.get('/x', { retry: { respectRetryAfter: false } })).status).to.equal(200);
      expect(arrivals).to.have.length(1);
    });

    it('ends a replay whose cooldown key function throws with hook-error, in the story and the stats alike', async () => {
      let calls = 0;
      const cooldown = new Cooldown({
        key: () => {
          calls += 1;
          if (calls > 1) throw new Error('key failed');
          return ORIGIN;
        },
      });
      script([[429, { 'retry-after-ms': '100' }]]);
      const { api, handle, inFlight } = rateLimited({ cooldown });
      // Another origin cooling keeps the cooldown active, so the replay asks for its key.
      cooldown.coolDown('http://other.test', 60_000);
      const { error } = await run(api, inFlight, clock);
      expect(error).to.have.property('message', 'key failed');
      expect(getRetryState(error)?.stopReason).to.equal('hook-error');
      expect(handle.stats().giveUps).to.deep.equal({ 'hook-error': 1 });
    });

    it('counts a 503 with a server time as a breaker failure, and a 429 with one not', async () => {
      for (const [status, opens] of [
        [503, true],
        [429, false],
      ] as const) {
        const breaker = new CircuitBreaker({ failureThreshold: 2 });
        const { api, inFlight } = rateLimited({ retries: 0, circuitBreaker: breaker });
        for (let i = 0; i < 2; i++) {
          script([[status, { 'retry-after-ms': '100' }]]);
          await run(api, inFlight, clock);
          await clock.tickAsync(200);
        }
        expect(breaker.snapshot()[ORIGIN]?.state, String(status)).to.equal(opens ? 'open' : undefined);
      }
    });

    it('starts with a success whose RateLimit field says the quota is spent', async () => {
      script([[200, { RateLimit: '"default";r=0;t=2' }]]);
      const { api, handle, inFlight } = rateLimited({ retries: 0 });
      await run(api, inFlight, clock);
      expect(handle.stats().cooldown?.origins[ORIGIN]).to.be.within(1900, 2000);
    });
  });

  describe('pacing by the announced rate, and the budget', () => {
    it('paces requests after the cooldown at the RateLimit-Policy rate, one per w/q seconds, queueing new ones behind', async () => {
      script([[429, { 'Retry-After': '1', 'RateLimit-Policy': '"default";q=10;w=1' }]]);
      const { api, handle, inFlight } = rateLimited({ retries: 0 });
      const start = Date.now();
      await run(api, inFlight, clock);
      const arrivals = script(Array.from({ length: 5 }, () => [200] as [number]));
      const calls = Array.from({ length: 5 }, () => api.get('/x'));
      await drive(clock, Promise.all(calls), () => inFlight() === 0);
      // One slot per 100 ms from the end of the cooldown on, in the order the requests came.
      expect(arrivals.map((a) => a.at - start)).to.deep.equal([1000, 1100, 1200, 1300, 1400]);
      // A request after the queue has drained goes at once, and pacing ends.
      await clock.tickAsync(1000);
      script([[200]]);
      const before = Date.now();
      await run(api, inFlight, clock);
      expect(Date.now() - before).to.equal(0);
      expect(handle.stats().cooldown).to.deep.equal({ origins: {}, waited: 5, failedFast: 0 });
    });

    it('does not pace by a rate slower than one request per maxRetryAfter (a daily quota)', async () => {
      script([[429, { 'Retry-After': '1', 'RateLimit-Policy': '"daily";q=1;w=86400' }]]);
      const { api, inFlight } = rateLimited({ retries: 0 });
      await run(api, inFlight, clock);
      // A request during the cooldown waits for its end, and takes the first paced slot.
      const arrivals = script([[200], [200], [200]]);
      await run(api, inFlight, clock);
      await clock.tickAsync(500);
      const results = await drive(
        clock,
        Promise.all([outcome(api.get('/x')), outcome(api.get('/x'))]),
        () => inFlight() === 0,
      );
      // Paced at one a day, both would fail fast unsent, as would every request for a day.
      expect((results.value ?? []).map((r) => r.value?.status)).to.deep.equal([200, 200]);
      expect(arrivals).to.have.length(3);
    });

    it('fails fast when the slot a request would get is past maxRetryAfter', async () => {
      const cooldown = new Cooldown();
      cooldown.coolDown(ORIGIN, 1000, 1);
      const { api, inFlight } = rateLimited({ cooldown, maxRetryAfter: 2500 });
      const arrivals = script([[200], [200]]);
      const results = Promise.all(Array.from({ length: 4 }, () => outcome(api.get('/x'))));
      const settled = await drive(clock, results, () => inFlight() === 0);
      const codes = (settled.value ?? []).map(
        (r) => (r.error as { code?: string } | undefined)?.code ?? r.value?.status,
      );
      // Slots at 1 s and 2 s; the next ones, 3 s and 4 s, are past 2.5 s.
      expect(codes).to.deep.equal([200, 200, 'ERR_RATE_LIMITED', 'ERR_RATE_LIMITED']);
      expect(arrivals).to.have.length(2);
    });

    it('takes nothing from the retry budget for a 429 that said when (with a cooldown), and does for a 503 or without one', async () => {
      const cases = [
        [429, new Cooldown(), 200],
        [503, new Cooldown(), 'budget'],
        [429, false, 'budget'],
      ] as const;
      for (const [status, cooldown, expected] of cases) {
        script([[status, { 'Retry-After': '1' }], [200]]);
        const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 });
        const { api, inFlight } = rateLimited({ budget, cooldown });
        const { value, error } = await run(api, inFlight, clock);
        expect(value?.status ?? getRetryState(error)?.stopReason, `${status}, cooldown ${Boolean(cooldown)}`).to.equal(
          expected,
        );
        nock.cleanAll();
        await clock.tickAsync(2000);
      }
    });
  });

  describe('pacing and budget under hostile answers', () => {
    it('takes no slot for a request that fails fast: a long window never pushes the queue out', async () => {
      const cooldown = new Cooldown();
      // One request a day, after a 1 s cooldown.
      cooldown.coolDown(ORIGIN, 1000, 1 / 86_400);
      const { api, inFlight } = rateLimited({ cooldown });
      script([[200]]);
      const first = api.get('/x');
      const refused = await Promise.all(Array.from({ length: 5 }, () => outcome(api.get('/x'))));
      expect(refused.map((r) => (r.error as { code?: string }).code)).to.deep.equal(Array(5).fill('ERR_RATE_LIMITED'));
      await drive(clock, first, () => inFlight() === 0);
      // Only the slot the first request took: the next is a day after it, not six days.
      expect(cooldown.snapshot().origins[ORIGIN]).to.be.within(86_398_000, 86_400_000);
    });

    it('keeps the queue when a cooldown is lengthened while paced', () => {
      let now = 0;
      const cooldown = new Cooldown({ now: () => now });
      cooldown.coolDown('k', 1000, 10);
      const slots = [0, 1, 2].map(() => cooldown.waitFor('k')?.due);
      expect(slots).to.deep.equal([1000, 1100, 1200]);
      now = 500;
      cooldown.coolDown('k', 600);
      // Holders of 1100 and 1200 do not ask again (the new end, 1100, does not pass them).
      expect(cooldown.waitFor('k')?.due).to.equal(1300);
    });

    it('charges the budget for a 429 whose time is under a second, cooldown or not', async () => {
      script([[429, { 'retry-after-ms': '1' }], [200]]);
      const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 });
      const { api, inFlight } = rateLimited({ budget });
      const { error } = await run(api, inFlight, clock);
      expect(getRetryState(error)?.stopReason).to.equal('budget');
    });

    it('waits no longer than maxRetryAfter in all, however often the cooldown is lengthened', async () => {
      const cooldown = new Cooldown();
      cooldown.coolDown(ORIGIN, 1000);
      const { api, inFlight } = rateLimited({ cooldown, maxRetryAfter: 2500 });
      // Every 900 ms, another response lengthens the cooldown to a second from then.
      let lengthening = true;
      const lengthen = () => {
        if (!lengthening) return;
        cooldown.coolDown(ORIGIN, 1000);
        setTimeout(lengthen, 900);
      };
      setTimeout(lengthen, 900);
      const start = Date.now();
      const { error } = await drive(clock, api.get('/x'), () => inFlight() === 0);
      lengthening = false;
      expect((error as { code?: string }).code).to.equal('ERR_RATE_LIMITED');
      expect(Date.now() - start).to.be.at.most(2500);
    });

    it('ends the call with hook-error when a Cooldown-like answers with no sensible wait', async () => {
      for (const answer of [{ waitMs: Number.NaN, leftMs: 0, due: 1 }, { waitMs: -5, leftMs: 0, due: 1 }, {}, 'soon']) {
        const cooldown = {
          active: true,
          keyOf: () => ORIGIN,
          coolDown: () => undefined,
          waitFor: () => answer as never,
          count: () => undefined,
          snapshot: () => ({ origins: {}, waited: 0, failedFast: 0 }),
        };
        const { api, handle } = rateLimited({ cooldown });
        const { error } = await outcome(api.get('/x'));
        expect(getRetryState(error)?.stopReason, JSON.stringify(answer)).to.equal('hook-error');
        expect(handle.stats()).to.deep.include({ requests: 1, failures: 1 });
      }
    });

    it('goes when a Cooldown-like ignores due and answers the same again', async () => {
      const cooldown = {
        active: true,
        keyOf: () => ORIGIN,
        coolDown: () => undefined,
        waitFor: () => ({ waitMs: 10, leftMs: 10, due: 5 }),
        count: () => undefined,
        snapshot: () => ({ origins: {}, waited: 0, failedFast: 0 }),
      };
      const arrivals = script([[200]]);
      const { api, inFlight } = rateLimited({ cooldown });
      expect((await run(api, inFlight, clock)).value?.status).to.equal(200);
      expect(arrivals).to.have.length(1);
    });

    it('lets time stand still, not stop, when a Cooldown clock gives NaN', () => {
      let now: number = 0;
      const cooldown = new Cooldown({ now: () => now });
      now = Number.NaN;
      expect(cooldown.active).to.equal(false);
      now = 10;
      cooldown.coolDown('k', 1000);
      expect(cooldown.active).to.equal(true);
      expect(cooldown.waitFor('k')?.leftMs).to.equal(1000);
    });
  });

  describe('clocks and cooldowns that go wrong', () => {
    it("reads a reset given as Unix seconds against the response's Date when the client's clock is off", async () => {
      for (const skewMs of [-600_000, 600_000]) {
        const serverNow = Date.now();
        const date = new Date(serverNow).toUTCString();
        const reset = String(Math.floor(serverNow / 1000) + 3);
        clock.setSystemTime(serverNow + skewMs);
        const arrivals = script([[429, { 'x-ratelimit-reset': reset, Date: date }], [200]]);
        const { api, inFlight } = rateLimited({ cooldown: false });
        expect((await run(api, inFlight, clock)).value?.status, `skew ${skewMs}`).to.equal(200);
        expect(gaps(arrivals)[0], `skew ${skewMs}`).to.be.within(3000, 3600);
        clock.setSystemTime(serverNow);
      }
    });

    it("ends calls with hook-error when a Cooldown's clock throws, counts each, and stats() and detach() still work", async () => {
      let broken = false;
      const cooldown = new Cooldown({
        now: () => {
          if (broken) throw new Error('clock failed');
          return performance.now();
        },
      });
      cooldown.coolDown('http://other.test', 60_000);
      const { api, handle } = rateLimited({ cooldown });
      broken = true;
      const scope = nock(ORIGIN).get('/x').reply(200);
      const { error } = await outcome(api.get('/x'));
      expect(error).to.have.property('message', 'clock failed');
      expect(getRetryState(error)?.stopReason).to.equal('hook-error');
      expect(scope.isDone()).to.equal(false);
      const stats = handle.stats();
      expect(stats).to.deep.include({ requests: 1, failures: 1, giveUps: { 'hook-error': 1 } });
      expect(stats).to.not.have.property('cooldown');
      handle.detach();
      const handlers = (api.interceptors.response as unknown as { handlers: unknown[] }).handlers;
      expect(handlers.filter(Boolean)).to.have.length(0);
    });

    it('gives a key function that throws on a first attempt its story and onGiveUp', async () => {
      const cooldown = new Cooldown({
        key: () => {
          throw new Error('key failed');
        },
      });
      cooldown.coolDown('http://other.test', 60_000);
      const givenUp: string[] = [];
      const { api, handle } = rateLimited({ cooldown, onGiveUp: (ctx) => void givenUp.push(ctx.stopReason) });
      const { error } = await outcome(api.get('/x'));
      expect(error).to.have.property('message', 'key failed');
      expect(getRetryState(error)?.stopReason).to.equal('hook-error');
      expect(givenUp).to.deep.equal(['hook-error']);
      expect(handle.stats()).to.deep.include({ requests: 1, failures: 1 });
    });

    it('starts the cooldown on the fast path even when a response interceptor before ours replaces the 429', async () => {
      const { api, handle, inFlight } = rateLimited({ retries: 0 }, (instance) => {
        instance.interceptors.response.use(undefined, () => Promise.reject(new Error('replaced')));
      });
      script([[429, { 'retry-after-ms': '2000' }]]);
      const first = await drive(clock, api.get('/x'), () => inFlight() === 0);
      expect(first.error).to.have.property('message', 'replaced');
      expect(handle.stats().cooldown?.origins[ORIGIN]).to.be.within(1900, 2000);
    });
  });

  describe('validation', () => {
    it('names a bad resetHeaders, cooldown or idempotencyKey.format', () => {
      const api = axios.create();
      expect(() => attachRetry(api, { resetHeaders: [{ header: 'x', format: 'epoch' as never }] })).to.throw(
        TypeError,
        /option "resetHeaders" must be an array of \{ header, format \} with format one of 'delta-seconds'/,
      );
      expect(() => attachRetry(api, { cooldown: 'yes' as never })).to.throw(
        TypeError,
        'option "cooldown" must be a boolean or a Cooldown',
      );
      expect(() => attachRetry(api, { idempotencyKey: { format: 'quoted' as never } })).to.throw(
        TypeError,
        "option \"idempotencyKey.format\" must be one of 'token', 'sf-string'",
      );
      expect(() => new Cooldown({ maxOrigins: 0 })).to.throw(TypeError, 'Cooldown option "maxOrigins"');
      const { active: _active, ...withoutActive } = {
        active: false,
        keyOf: () => '',
        coolDown() {},
        waitFor: () => undefined,
        count() {},
        snapshot: () => ({ origins: {}, waited: 0, failedFast: 0 }),
      };
      expect(() => attachRetry(api, { cooldown: withoutActive as never })).to.throw(TypeError, '"cooldown"');
    });
  });
});
