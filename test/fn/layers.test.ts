import { expect } from 'chai';
import nock from 'nock';
import type sinon from 'sinon';
import type { AttemptInfo, RetryState } from '../../lib/index.js';
import { attachRetry, getRetryState, retry, retryBatch, withRetry } from '../../lib/index.js';
import { counted, drive, fakeClock, ORIGIN, outcome } from '../helpers.js';

/** `path` answers `status` to every `method` request; returns how many have arrived. */
function always(status: number, path = '/x', method = 'GET'): () => number {
  let hits = 0;
  nock(ORIGIN)
    .persist()
    .intercept(path, method)
    .reply(() => {
      hits += 1;
      return [status, { status }];
    });
  return () => hits;
}

/** A function that always throws `error`, and how many times it ran. */
function failing(error: () => unknown = () => new Error('down')) {
  let calls = 0;
  const fn = () => {
    calls += 1;
    throw error();
  };
  return { fn, calls: () => calls };
}

/** A retryBatch of one item as a layer that rejects with the item's error, so that outer layers see it. */
async function batchOfOne<T>(fn: () => Promise<T>, options = {}): Promise<T | undefined> {
  const report = await retryBatch([0], () => fn(), { baseDelay: 1, ...options });
  const failure = report.failed.get(0);
  if (failure) throw failure.error;
  return report.succeeded.get(0);
}

const story = (state: RetryState | undefined) => state && { attempt: state.attempt, stopReason: state.stopReason };

describe('layers never multiply (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>, quiet = () => true) => drive(clock, p, quiet);

  it('retryBatch over an attached instance sends an item whose endpoint is down 4 times, not 16', async () => {
    const { api, inFlight } = counted();
    attachRetry(api, { baseDelay: 1 });
    const hits = always(503, '/embed/a');
    const { value: report } = await settle(
      retryBatch(['a'], (id) => api.get(`/embed/${id}`)),
      () => inFlight() === 0,
    );
    expect(hits()).to.equal(4);
    const state = report?.failed.get('a')?.state;
    expect(story(state)).to.deep.equal({ attempt: 1, stopReason: 'already-retried' });
    expect(story(state?.inner)).to.deep.equal({ attempt: 4, stopReason: 'retries-exhausted' });
  });

  it('retry over an attached instance does not retry what the interceptor gave up on, but retries a request sent with retry: false', async () => {
    const { api, inFlight } = counted();
    attachRetry(api, { baseDelay: 1 });
    const hits = always(503);
    const run = <T>(p: Promise<T>) => settle(p, () => inFlight() === 0);

    const given = await run(retry(() => api.get('/x'), { baseDelay: 1, name: 'layers.attached' }));
    expect(hits()).to.equal(4);
    expect(story(getRetryState(given.error))).to.deep.equal({ attempt: 1, stopReason: 'already-retried' });
    expect(story(getRetryState(given.error)?.inner)).to.deep.equal({ attempt: 4, stopReason: 'retries-exhausted' });

    // The interceptor never handled this one: the outer layer is the only one, and may retry it.
    const own = await run(retry(() => api.get('/x', { retry: false }), { baseDelay: 1, name: 'layers.attached' }));
    expect(hits()).to.equal(8);
    expect(story(getRetryState(own.error))).to.deep.equal({ attempt: 4, stopReason: 'retries-exhausted' });
    expect(getRetryState(own.error)?.inner).to.equal(undefined);
  });

  it('retry around retry makes the inner call’s attempts only, and so does withRetry inside retryBatch', async () => {
    const inner = failing();
    const { error } = await settle(
      retry(() => retry(inner.fn, { retries: 2, baseDelay: 1, budget: false }), { name: 'layers.outer' }),
    );
    expect(inner.calls()).to.equal(3);
    expect(story(getRetryState(error))).to.deep.equal({ attempt: 1, stopReason: 'already-retried' });
    expect(story(getRetryState(error)?.inner)).to.deep.equal({ attempt: 3, stopReason: 'retries-exhausted' });

    const calls = new Map<string, number>();
    const embed = withRetry(
      async (id: string) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        throw new Error(`no vector for ${id}`);
      },
      { retries: 1, baseDelay: 1, budget: false },
    );
    const { value: report } = await settle(retryBatch(['a', 'b', 'c'], (id) => embed(id), { baseDelay: 1 }));
    expect(Object.fromEntries(calls)).to.deep.equal({ a: 2, b: 2, c: 2 });
    const states = [...(report?.failed.values() ?? [])].map(({ state }) => [story(state), story(state?.inner)]);
    expect(states).to.deep.equal(
      Array.from({ length: 3 }, () => [
        { attempt: 1, stopReason: 'already-retried' },
        { attempt: 2, stopReason: 'retries-exhausted' },
      ]),
    );
  });

  it('takes an error as final only when an inner layer gave up on it during the attempt: the same error thrown by a later call is retried', async () => {
    // One error object for every call that meets it, as a module's constant would be (made here,
    // so that no other test's give-up on it, at another fake clock's readings, is in its story).
    const outage = new Error('service unavailable');
    const { fn, calls } = failing(() => outage);
    await settle(retry(() => retry(fn, { retries: 1, baseDelay: 1, budget: false }), { name: 'layers.outage' }));
    expect(calls()).to.equal(2);
    // A moment later (at the very same clock reading, see the failing test below).
    clock.tick(1);
    const later = await settle(retry(fn, { baseDelay: 1, budget: false }));
    expect(calls()).to.equal(6);
    expect(story(getRetryState(later.error))).to.deep.equal({ attempt: 4, stopReason: 'retries-exhausted' });
    expect(getRetryState(later.error)?.inner).to.equal(undefined);
  });

  it('nesting retry, withRetry and retryBatch in any order never sends more attempts than the innermost policy alone', async () => {
    const { api, inFlight } = counted();
    attachRetry(api, { retries: 2, baseDelay: 1, budget: false });
    const hits = always(503);
    const thrown = failing();
    // Two innermost policies, each 3 attempts alone: the interceptor, and a retry(fn).
    const innermost: Record<string, { call: () => Promise<unknown>; count: () => number }> = {
      interceptor: { call: () => api.get('/x'), count: hits },
      retry: { call: () => retry(thrown.fn, { retries: 2, baseDelay: 1, budget: false }), count: thrown.calls },
    };
    type Layer = (f: () => Promise<unknown>) => () => Promise<unknown>;
    const layers: Record<string, Layer> = {
      retry: (f) => () => retry(f, { baseDelay: 1, name: 'layers.nesting' }),
      withRetry: (f) => withRetry(f, { baseDelay: 1, name: 'layers.nesting' }),
      retryBatch: (f) => () => batchOfOne(f),
    };
    const orders: string[][] = [];
    const extend = (order: string[]) => {
      if (order.length) orders.push(order);
      for (const name of Object.keys(layers)) if (!order.includes(name)) extend([...order, name]);
    };
    extend([]);
    expect(orders).to.have.length(15);

    const sent: Record<string, number> = {};
    for (const [base, { call, count }] of Object.entries(innermost)) {
      for (const order of [[], ...orders]) {
        // `order` lists layers from the outside in.
        const composed = order.reduceRight<() => Promise<unknown>>((f, name) => (layers[name] as Layer)(f), call);
        const before = count();
        await settle(composed(), () => inFlight() === 0);
        sent[[...order, base].join(' > ')] = count() - before;
      }
    }
    expect(Object.values(sent).every((n) => n === 3)).to.equal(true, JSON.stringify(sent, null, 1));
  });
});

describe('one classification for axios errors whatever the entry point (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('under retry, withRetry and retryBatch over a bare instance, sends a 404 and a keyless POST that gets 503 once, and retries a POST with an Idempotency-Key', async () => {
    const { api, inFlight } = counted();
    const counts = {
      missing: always(404, '/missing'),
      keyless: always(503, '/charges', 'POST'),
      keyed: always(503, '/embeddings', 'POST'),
    };
    const calls: Record<keyof typeof counts, () => Promise<unknown>> = {
      missing: () => api.get('/missing'),
      keyless: () => api.post('/charges', { amount: 5 }),
      keyed: () => api.post('/embeddings', { text: 'hi' }, { headers: { 'Idempotency-Key': 'key-1' } }),
    };
    const options = { baseDelay: 1, name: 'layers.classify' };
    const entries: Record<string, (f: () => Promise<unknown>) => Promise<unknown>> = {
      retry: (f) => retry(f, options),
      withRetry: (f) => withRetry(f, options)(),
      retryBatch: (f) => batchOfOne(f, options),
    };
    const sent: Record<string, Record<string, number>> = {};
    for (const [entry, run] of Object.entries(entries)) {
      sent[entry] = {};
      for (const [what, call] of Object.entries(calls)) {
        const count = counts[what as keyof typeof counts];
        const before = count();
        await drive(clock, run(call), () => inFlight() === 0);
        (sent[entry] as Record<string, number>)[what] = count() - before;
      }
    }
    const expected = { missing: 1, keyless: 1, keyed: 4 };
    expect(sent).to.deep.equal({ retry: expected, withRetry: expected, retryBatch: expected });
  });

  it('retries a non-axios error unless it is an abort, and lets shouldRetry overrule the verdict on an axios error', async () => {
    const { api, inFlight } = counted();
    const run = <T>(p: Promise<T>) => drive(clock, p, () => inFlight() === 0);
    const options = { baseDelay: 1, budget: false };

    const plain = failing();
    await run(retry(plain.fn, options));
    expect(plain.calls()).to.equal(4);
    const aborted = failing(() => Object.assign(new Error('stop'), { name: 'AbortError' }));
    const { error } = await run(retry(aborted.fn, options));
    expect(aborted.calls()).to.equal(1);
    expect(getRetryState(error)?.stopReason).to.equal('aborted');

    const missing = always(404, '/missing');
    await run(retry(() => api.get('/missing'), options));
    expect(missing()).to.equal(1);
    await run(retry(() => api.get('/missing'), { ...options, shouldRetry: () => true }));
    expect(missing()).to.equal(5);
    const down = always(503, '/down');
    const refused = await run(retry(() => api.get('/down'), { ...options, shouldRetry: () => false }));
    expect(down()).to.equal(1);
    expect(getRetryState(refused.error)?.stopReason).to.equal('not-retryable');
  });
});

describe('idempotency keys of retry and withRetry (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>) => drive(clock, p, () => true);

  /** A function that fails twice, then succeeds, noting the key each attempt was handed. */
  function keyed() {
    const keys: (string | undefined)[] = [];
    const fn = (info: AttemptInfo) => {
      keys.push(info.idempotencyKey);
      if (keys.length < 3) throw new Error('flaky');
      return 'done';
    };
    return { fn, keys };
  }

  it('hands fn one idempotencyKey under retry, the same on every attempt, and refuses the option under withRetry', async () => {
    const first = keyed();
    const second = keyed();
    await settle(retry(first.fn, { idempotencyKey: true, baseDelay: 1, budget: false }));
    await settle(retry(second.fn, { idempotencyKey: true, baseDelay: 1, budget: false }));
    expect(first.keys).to.have.length(3);
    expect(first.keys[0]).to.be.a('string').and.not.equal('');
    expect(new Set(first.keys).size).to.equal(1);
    expect(new Set(second.keys).size).to.equal(1);
    expect(second.keys[0]).to.not.equal(first.keys[0]);

    // withRetry keeps fn's signature, so fn could not receive a key: the option is refused.
    expect(() => withRetry(async () => 1, { idempotencyKey: true } as never)).to.throw(
      TypeError,
      /"idempotencyKey" must be left out under withRetry/,
    );
  });
});

describe('budget: true under retry and withRetry (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>) => drive(clock, p, () => true);
  // The shared budget's defaults: retries up to 0.2 of first attempts, plus 10 a second.
  const cap = (calls: number) => calls + 0.2 * calls + 10;

  it('caps 30 concurrent retry calls of one name at 30 first attempts + (0.2 × 30 + 10) retries, and a name of its own has its own budget', async () => {
    const { fn, calls } = failing();
    const name = 'layers.budget.embed';
    const results = await settle(
      Promise.all(Array.from({ length: 30 }, () => outcome(retry(fn, { baseDelay: 1, name })))),
    );
    expect(calls()).to.be.at.most(cap(30));
    expect(calls()).to.be.above(30);
    const reasons = (results.value ?? []).map(({ error }) => getRetryState(error)?.stopReason);
    expect(reasons).to.include('budget');

    const same = failing();
    const { error } = await settle(retry(same.fn, { baseDelay: 1, name }));
    expect(same.calls()).to.equal(1);
    expect(getRetryState(error)?.stopReason).to.equal('budget');
    const other = failing();
    await settle(retry(other.fn, { baseDelay: 1, name: 'layers.budget.search' }));
    expect(other.calls()).to.equal(4);
  });

  it('gives withRetry functions of one name one budget between them', async () => {
    const { fn, calls } = failing();
    const name = 'layers.budget.rerank';
    const a = withRetry(async () => fn(), { baseDelay: 1, name });
    const b = withRetry(async () => fn(), { baseDelay: 1, name });
    await settle(Promise.all(Array.from({ length: 30 }, (_, i) => outcome(i % 2 ? a() : b()))));
    expect(calls()).to.be.at.most(cap(30));
  });
});

/**
 * An inner give-up is told apart by the order calls start (an inner call starts during the
 * outer attempt), not by a clock, whose readings can be equal (fake timers, coarse clocks).
 */
describe('an inner give-up is told apart from an earlier one (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>) => drive(clock, p, () => true);

  it('retries an old error thrown again by a call that starts at the same clock reading as the earlier give-up', async () => {
    const outage = new Error('service unavailable');
    const { fn, calls } = failing(() => outage);
    await settle(retry(fn, { retries: 0, budget: false }));
    const later = await settle(retry(fn, { baseDelay: 1, budget: false }));
    expect(calls()).to.equal(5);
    expect(getRetryState(later.error)?.stopReason).to.equal('retries-exhausted');
  });
});
