import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import { stableKey } from '../../lib/decide/stable-key.js';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, CircuitOpenError, getRetryState, retry, retryBatch, withRetry } from '../../lib/index.js';
import { counted, drive, fakeClock, ORIGIN, outcome } from '../helpers.js';

/**
 * `path` answers 503 to every GET; returns how many have arrived. Past `cap` it answers 200, so
 * that layers which multiply end (and the test fails on the count) instead of running on.
 */
function down(path: string, cap = 64): () => number {
  let hits = 0;
  nock(ORIGIN)
    .persist()
    .get(path)
    .reply(() => {
      hits += 1;
      return hits > cap ? [200, 'past the cap'] : [503, 'down'];
    });
  return () => hits;
}

const inner: Partial<RetryOptions> = { retries: 3, baseDelay: 1, jitter: 'none', budget: false };
const outer = { retries: 3, baseDelay: 1, jitter: 'none', budget: false } as const;

describe('second hostile review: layers never multiply when the inner give-up arrives wrapped (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('An error wrapped by a response interceptor added after attachRetry is final for an outer retry: 4 requests, not 16.', async () => {
    const { api, inFlight } = counted();
    attachRetry(api, inner);
    api.interceptors.response.use(undefined, (error: unknown) => {
      throw new Error('api', { cause: error });
    });
    const hits = down('/x');
    const { error } = await drive(
      clock,
      retry(() => api.get('/x'), outer),
      () => inFlight() === 0,
    );
    expect(hits()).to.equal(4);
    expect((error as Error).message).to.equal('api');
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'already-retried' });
    expect(getRetryState(error)?.inner).to.include({ attempt: 4, stopReason: 'retries-exhausted' });
  });

  it('Promise.any over two calls of an attached instance inside retry sends 8 requests, not 32, and gives up already-retried.', async () => {
    const { api, inFlight } = counted();
    attachRetry(api, inner);
    const a = down('/a');
    const b = down('/b');
    const { error } = await drive(
      clock,
      retry(() => Promise.any([api.get('/a'), api.get('/b')]), outer),
      () => inFlight() === 0,
    );
    expect(a() + b()).to.equal(8);
    expect(error).to.be.instanceOf(AggregateError);
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'already-retried' });
  });
});

describe('second hostile review: retryBatch idempotency keys', () => {
  /** The idempotency keys a batch named `name` gives items keyed `keys`, in order. */
  async function keysOf(keys: unknown[], name = 'batch'): Promise<string[]> {
    const seen: string[] = [];
    await retryBatch(
      keys.map((k, i) => ({ i, k })),
      (_item, { idempotencyKey }) => {
        seen.push(idempotencyKey ?? 'none');
        return 1;
      },
      { name, idempotencyKey: true, key: (item) => item.k, concurrency: 1 },
    );
    return seen;
  }

  /** A batch over `keys` (each item is its own key) that counts how often its function ran. */
  async function batchOver(keys: unknown[]) {
    let ran = 0;
    const result = await outcome(
      retryBatch(
        keys,
        () => {
          ran += 1;
          return 1;
        },
        { name: 'batch', idempotencyKey: true, key: (item) => item, concurrency: 1 },
      ),
    );
    return { ...result, ran };
  }

  for (const [label, a, b] of [
    ['[null] and [NaN]', [null], [Number.NaN]],
    ['[null] and [Infinity]', [null], [Number.POSITIVE_INFINITY]],
  ] as const) {
    it(`Item keys ${label} are refused or get different idempotency keys.`, async () => {
      const result = await outcome(keysOf([a, b]));
      if (result.error === undefined) {
        expect(result.value).to.have.length(2);
        expect(result.value?.[0]).to.not.equal(result.value?.[1]);
      } else {
        expect(result.error).to.be.instanceOf(TypeError);
      }
    });
  }

  for (const [label, bad] of [
    ['{ a: undefined }', { a: undefined }],
    ['a Map', new Map([['account', 1]])],
    ['{ d: new Date(0) }', { d: new Date(0) }],
  ] as const) {
    it(`An item key ${label} fails the batch with a TypeError before any item runs.`, async () => {
      const { error, ran } = await batchOver(['first', 'second', bad]);
      expect(error).to.be.instanceOf(TypeError);
      expect(ran).to.equal(0);
    });
  }

  it('A batch name and an item key cannot run into another pair: name x with key y\\0s:z and name x\\0s:y with key z differ.', async () => {
    expect(stableKey('x', 'y\u0000s:z')).to.not.equal(stableKey('x\u0000s:y', 'z'));
    const [first] = await keysOf(['y\u0000s:z'], 'x');
    const [second] = await keysOf(['z'], 'x\u0000s:y');
    expect(first).to.not.equal(second);
  });

  it('The number 1 and the string "1" get different idempotency keys.', async () => {
    expect(stableKey('batch', 1)).to.not.equal(stableKey('batch', '1'));
    const [number, text] = await keysOf([1, '1']);
    expect(number).to.not.equal(text);
  });

  it('Object keys equal in content but built per item run once and share one idempotency key.', async () => {
    const keys: string[] = [];
    const report = await retryBatch(
      [
        { t: 'a', id: 1 },
        { id: 1, t: 'a' },
      ],
      (_item, { idempotencyKey }) => {
        keys.push(idempotencyKey ?? 'none');
        return 1;
      },
      { name: 'b', idempotencyKey: true, key: (item) => ({ t: item.t, id: item.id }) },
    );
    expect(keys).to.have.length(1);
    expect(report.succeeded.size).to.equal(1);
    expect(report.failed.size).to.equal(0);
    expect(keys[0]).to.equal(stableKey('b', { id: 1, t: 'a' }));
  });

  it('BigInt item keys work, alone and inside an object, and differ from the number.', async () => {
    const keys = await keysOf([1n, { n: 1n }, 1]);
    expect(keys).to.have.length(3);
    expect(new Set(keys).size).to.equal(3);
  });

  it('A batch whose first item keys have no one text throws a TypeError before any item runs, instead of tripping the item breaker.', async () => {
    const items = [
      ...Array.from({ length: 5 }, (_, i) => ({ id: Symbol(`bad-${i}`) })),
      ...Array.from({ length: 20 }, (_, i) => ({ id: `ok-${i}` })),
    ];
    let ran = 0;
    const result = await outcome(
      retryBatch(
        items,
        () => {
          ran += 1;
          return 'done';
        },
        { name: 'b', idempotencyKey: true, concurrency: 1 },
      ),
    );
    expect(result.error).to.be.instanceOf(TypeError);
    expect(result.value).to.equal(undefined);
    expect(ran).to.equal(0);
  });
});

describe('second hostile review: a request interceptor that fails the call before anything is sent (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  for (const [label, options] of [
    ['by default', {}],
    ['with shouldRetry: () => true', { shouldRetry: () => true }],
  ] as [string, Partial<RetryOptions>][]) {
    it(`A request interceptor registered before attachRetry that rejects with an AxiosError ERR_NETWORK fails the call with that error, not-retryable (${label}).`, async () => {
      const api = axios.create({ baseURL: ORIGIN });
      const thrown: AxiosError[] = [];
      api.interceptors.request.use((config) => {
        const error = new AxiosError('offline', 'ERR_NETWORK', config);
        thrown.push(error);
        throw error;
      });
      const handle = attachRetry(api, { retries: 2, baseDelay: 1, maxDelay: 5, budget: false, ...options });
      const { error } = await drive(clock, api.get('/x'), () => true);
      expect(error).to.not.be.instanceOf(TypeError);
      expect(thrown).to.have.length(1);
      expect(error).to.equal(thrown[0]);
      expect(getRetryState(error)).to.include({ attempt: 0, stopReason: 'not-retryable' });
      expect(handle.stats().giveUps).to.deep.equal({ 'not-retryable': 1 });
    });
  }
});

describe('second hostile review: withRetry and retryBatch bookkeeping', () => {
  it('Two anonymous withRetry wrappers with circuitBreaker: true have circuits of their own.', async () => {
    const sendToQueue = withRetry(
      async (_message: string) => {
        throw new Error('queue down');
      },
      { retries: 0, circuitBreaker: true },
    );
    let embedRan = 0;
    const embed = withRetry(
      async (text: string) => {
        embedRan += 1;
        return text.length;
      },
      { retries: 0, circuitBreaker: true },
    );
    for (let i = 0; i < 5; i++) await outcome(sendToQueue('m'));
    const refused = await outcome(sendToQueue('m'));
    expect(refused.error, "the failing wrapper's own circuit is open").to.be.instanceOf(CircuitOpenError);

    expect(await embed('hello')).to.equal(5);
    expect(embedRan).to.equal(1);
  });

  it('A retryBatch aborted mid-way counts every item in its stats: requests equals succeeded plus failed.', async () => {
    const controller = new AbortController();
    let ran = 0;
    const report = await retryBatch(
      Array.from({ length: 10 }, (_, i) => i),
      (i) => {
        ran += 1;
        if (i === 2) controller.abort(new Error('shutting down'));
        return i;
      },
      { signal: controller.signal, concurrency: 1, retries: 0 },
    );
    expect(ran).to.equal(3);
    expect([report.succeeded.size, report.failed.size]).to.deep.equal([2, 8]);
    expect(report.stats.requests).to.equal(report.succeeded.size + report.failed.size);
    expect(report.stats).to.include({ successes: 2, failures: 8 });
    expect(report.stats.giveUps).to.deep.equal({ aborted: 8 });
  });
});
