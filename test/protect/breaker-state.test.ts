import { expect } from 'chai';
import type { AttemptVerdict, SavedBreakerState } from '../../lib/index.js';
import { CircuitBreaker } from '../../lib/index.js';

const KEY = 'https://api.example';

/** A clock for the breaker's `now` option, moved by hand. */
function manualClock(start = 0) {
  let time = start;
  return {
    now: () => time,
    tick: (ms: number) => {
      time += ms;
    },
  };
}

const call = (breaker: CircuitBreaker, key: string, verdict: AttemptVerdict) => {
  const admission = breaker.acquire(key);
  return admission.allowed ? breaker.record(key, verdict, admission.probe) : admission;
};

describe('CircuitBreaker state carried between processes: toJSON and initialState', () => {
  it('saves only circuits that are not closed, as durations, and JSON.stringify uses it', () => {
    const clock = manualClock(1_000_000);
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, now: clock.now });
    call(breaker, 'https://due.example', 'failure');
    clock.tick(400);
    call(breaker, 'https://open.example', 'failure');
    breaker.isolate('https://isolated.example');
    const counting = new CircuitBreaker({ failureThreshold: 2, now: clock.now });
    call(counting, 'https://flaky.example', 'failure');
    expect(counting.toJSON(), 'a closed circuit with a failure counted').to.deep.equal({ version: 1, circuits: {} });
    clock.tick(600);
    const state = {
      version: 1,
      circuits: {
        'https://due.example': { state: 'half-open', openMs: 1000 },
        'https://open.example': { state: 'open', remainingOpenMs: 400, openMs: 1000 },
        'https://isolated.example': { state: 'isolated' },
      },
    };
    expect(breaker.toJSON()).to.deep.equal(state);
    expect(JSON.parse(JSON.stringify(breaker))).to.deep.equal(state);
  });

  it('restores an open circuit for its remaining time only, on its own clock, then probes as usual', () => {
    const old = manualClock(5_000_000);
    const before = new CircuitBreaker({ failureThreshold: 1, openMs: 30_000, now: old.now });
    call(before, KEY, 'failure');
    old.tick(20_000);
    const stored = JSON.stringify(before);
    expect(stored, 'no time of day').to.equal(
      `{"version":1,"circuits":{"${KEY}":{"state":"open","remainingOpenMs":10000,"openMs":30000}}}`,
    );

    // Another machine, whose clock reads something else entirely.
    const clock = manualClock(42);
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      openMs: 30_000,
      now: clock.now,
      initialState: JSON.parse(stored),
    });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 10_000 });
    clock.tick(9_999);
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 1 });
    clock.tick(1);
    expect(breaker.acquire(KEY)).to.deep.equal({
      allowed: true,
      probe: true,
      ticket: 1,
      transition: { key: KEY, from: 'open', to: 'half-open' },
    });
    // The saved open time is what a failed probe doubles.
    expect(breaker.record(KEY, 'failure', true)).to.deep.equal({ key: KEY, from: 'half-open', to: 'open' });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 60_000 });
  });

  it('keeps a restored open time within this breaker’s maxOpenMs: a stored day opens for at most that', () => {
    const clock = manualClock();
    const day = 86_400_000;
    const breaker = new CircuitBreaker({
      openMs: 1000,
      maxOpenMs: 8000,
      now: clock.now,
      initialState: { version: 1, circuits: { [KEY]: { state: 'open', remainingOpenMs: day, openMs: day } } },
    });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 8000 });
    const short = new CircuitBreaker({
      openMs: 1000,
      now: clock.now,
      initialState: { version: 1, circuits: { [KEY]: { state: 'open', remainingOpenMs: 5000, openMs: 10 } } },
    });
    expect(short.acquire(KEY), 'never longer than its own open time, at least openMs').to.include({
      retryAfterMs: 1000,
    });
  });

  it('restores a half-open circuit as due: the next request is the probe', () => {
    const breaker = new CircuitBreaker({
      initialState: { version: 1, circuits: { [KEY]: { state: 'half-open', openMs: 30_000 } } },
    });
    expect(breaker.snapshot()[KEY]).to.deep.equal({ state: 'half-open', consecutiveFailures: 0 });
    expect(breaker.acquire(KEY)).to.include({ allowed: true, probe: true });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: 0 });
  });

  it('restores isolation, and round-trips what it restored', () => {
    const state: SavedBreakerState = {
      version: 1,
      circuits: {
        [KEY]: { state: 'isolated' },
        'https://b.example': { state: 'open', remainingOpenMs: 70, openMs: 100 },
      },
    };
    const clock = manualClock();
    const breaker = new CircuitBreaker({ openMs: 100, now: clock.now, initialState: state });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(breaker.toJSON()).to.deep.equal({
      version: 1,
      circuits: {
        'https://b.example': { state: 'open', remainingOpenMs: 70, openMs: 100 },
        [KEY]: { state: 'isolated' },
      },
    });
  });

  it('respects maxCircuits on restore: the circuits listed last are kept, isolated ones aside', () => {
    const circuits: Record<string, SavedBreakerState['circuits'][string]> = {};
    for (let i = 0; i < 5; i++)
      circuits[`https://${i}.example`] = { state: 'open', remainingOpenMs: 1000, openMs: 1000 };
    circuits['https://off.example'] = { state: 'isolated' };
    const breaker = new CircuitBreaker({ maxCircuits: 2, initialState: { version: 1, circuits } });
    expect(Object.keys(breaker.snapshot())).to.deep.equal([
      'https://3.example',
      'https://4.example',
      'https://off.example',
    ]);
  });

  it('keeps a key named __proto__ a key', () => {
    const breaker = new CircuitBreaker();
    breaker.isolate('__proto__');
    const copy = JSON.parse(JSON.stringify(breaker));
    expect(Object.keys(copy.circuits)).to.deep.equal(['__proto__']);
    expect(new CircuitBreaker({ initialState: copy }).acquire('__proto__')).to.include({ allowed: false });
  });

  it('refuses an initialState that toJSON could not have produced, naming what is wrong', () => {
    const bad = (initialState: unknown, message: string | RegExp) =>
      expect(() => new CircuitBreaker({ initialState } as never)).to.throw(TypeError, message);
    bad('{}', 'CircuitBreaker option "initialState" must be an object from breaker.toJSON() or undefined, got "{}"');
    bad({ version: 2, circuits: {} }, '"initialState.version" must be 1 (the only version this release reads), got 2');
    bad({ circuits: {} }, '"initialState.version" must be 1');
    bad(
      { version: 1, circuit: {} },
      'unknown CircuitBreaker option "initialState.circuit" (did you mean "initialState.circuits"?)',
    );
    bad({ version: 1, circuits: [] }, '"initialState.circuits" must be an object of circuits by key, got []');
    bad({ version: 1, circuits: { x: 'open' } }, '"initialState.circuits["x"]" must be an object, got "open"');
    bad(
      { version: 1, circuits: { x: { state: 'closed' } } },
      '"initialState.circuits["x"].state" must be "open", "half-open" or "isolated" (closed circuits are left out), got "closed"',
    );
    bad(
      { version: 1, circuits: { x: { state: 'open', remainingOpenMs: -1, openMs: 10 } } },
      'CircuitBreaker option "initialState.circuits["x"].remainingOpenMs" must be a finite number >= 0, got -1',
    );
    bad({ version: 1, circuits: { x: { state: 'open', openMs: 10 } } }, '"initialState.circuits["x"].remainingOpenMs"');
    bad(
      { version: 1, circuits: { x: { state: 'half-open', openMs: 0 } } },
      '"initialState.circuits["x"].openMs" must be a finite number > 0, got 0',
    );
    bad(
      { version: 1, circuits: { x: { state: 'isolated', remainingOpenMs: 5 } } },
      'unknown CircuitBreaker option "initialState.circuits["x"].remainingOpenMs"',
    );
    bad({ version: 1, circuits: { x: { state: 'open', remainingOpenMs: 5, openMs: 5, openUntil: 9 } } }, /openUntil/);
  });
});

describe('CircuitBreaker isolate and reset', () => {
  it('isolates a key never seen: refused with no probe time, until reset', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ openMs: 10, now: clock.now });
    expect(breaker.isolate(KEY)).to.deep.equal({ key: KEY, from: 'closed', to: 'isolated' });
    expect(breaker.isolate(KEY), 'already isolated').to.equal(undefined);
    clock.tick(86_400_000);
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(breaker.snapshot()).to.deep.equal({ [KEY]: { state: 'isolated', consecutiveFailures: 0 } });
    expect(breaker.reset(KEY)).to.deep.equal({ key: KEY, from: 'isolated', to: 'closed' });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: true, probe: false });
    expect(breaker.snapshot()).to.deep.equal({});
  });

  it('isolates an open or half-open circuit; a probe in flight then changes nothing', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10, now: clock.now });
    call(breaker, KEY, 'failure');
    expect(breaker.isolate(KEY)).to.deep.equal({ key: KEY, from: 'open', to: 'isolated' });
    breaker.reset(KEY);
    call(breaker, KEY, 'failure');
    clock.tick(10);
    const probe = breaker.acquire(KEY);
    expect(probe).to.include({ probe: true });
    expect(breaker.isolate(KEY)).to.deep.equal({ key: KEY, from: 'half-open', to: 'isolated' });
    expect(breaker.record(KEY, 'success', true)).to.equal(undefined);
    expect(breaker.record(KEY, 'failure', false)).to.equal(undefined);
    expect(breaker.acquire(KEY)).to.include({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
  });

  it('does not let a probe in flight at a reset move the half-open cycle that follows', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10, now: clock.now });
    call(breaker, KEY, 'failure');
    clock.tick(10);
    const old = breaker.acquire(KEY);
    expect(old).to.include({ probe: true });
    breaker.reset(KEY);
    call(breaker, KEY, 'failure');
    clock.tick(10);
    const fresh = breaker.acquire(KEY);
    expect(fresh).to.include({ probe: true });
    const ticket = (admission: typeof old) => (admission.allowed ? admission.ticket : undefined);
    // The old probe's success arrives first: it must not close the new cycle.
    expect(breaker.record(KEY, 'success', true, ticket(old))).to.equal(undefined);
    expect(breaker.snapshot()[KEY]?.state).to.equal('half-open');
    // The new probe's failure opens it again.
    expect(breaker.record(KEY, 'failure', true, ticket(fresh))).to.deep.equal({
      key: KEY,
      from: 'half-open',
      to: 'open',
    });
  });

  it('counts the new cycle’s probe when it ends before a probe in flight at a reset', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10, now: clock.now });
    call(breaker, KEY, 'failure');
    clock.tick(10);
    const old = breaker.acquire(KEY);
    breaker.reset(KEY);
    call(breaker, KEY, 'failure');
    clock.tick(10);
    const fresh = breaker.acquire(KEY);
    const ticket = (admission: typeof old) => (admission.allowed ? admission.ticket : undefined);
    // Counting probes to drop, the new probe's success was the one dropped: the circuit stayed
    // half-open with its slot taken, and every call failed fast while the service was fine.
    expect(breaker.record(KEY, 'success', true, ticket(fresh))).to.deep.equal({
      key: KEY,
      from: 'half-open',
      to: 'closed',
    });
    expect(breaker.record(KEY, 'failure', true, ticket(old))).to.equal(undefined);
    expect(breaker.snapshot()).to.deep.equal({});
  });

  it('keeps an isolated circuit through idle expiry and maxCircuits pressure', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, maxCircuits: 2, now: clock.now });
    breaker.isolate(KEY);
    for (let i = 0; i < 10; i++) call(breaker, `https://${i}.example`, 'failure');
    expect(Object.keys(breaker.snapshot())).to.have.members([KEY, 'https://0.example', 'https://1.example']);
    clock.tick(breaker.options.circuitIdleMs * 10);
    expect(breaker.snapshot()).to.deep.equal({ [KEY]: { state: 'isolated', consecutiveFailures: 0 } });
    expect(breaker.acquire(KEY)).to.include({ allowed: false });
  });

  it('resets an open circuit and its failure count; a reset of a closed or unknown key changes nothing', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    expect(breaker.reset('https://never.example')).to.equal(undefined);
    call(breaker, KEY, 'failure');
    expect(breaker.reset(KEY), 'closed already').to.equal(undefined);
    expect(call(breaker, KEY, 'failure'), 'its count was forgotten').to.equal(undefined);
    call(breaker, KEY, 'failure');
    expect(breaker.acquire(KEY)).to.include({ allowed: false });
    expect(breaker.reset(KEY)).to.deep.equal({ key: KEY, from: 'open', to: 'closed' });
    expect(breaker.acquire(KEY)).to.deep.equal({ allowed: true, probe: false });
    expect(breaker.snapshot()).to.deep.equal({});
  });

  it('refuses a key that is not a string', () => {
    const breaker = new CircuitBreaker();
    expect(() => breaker.isolate(1 as never)).to.throw(
      TypeError,
      'CircuitBreaker.isolate "key" must be a string, got 1',
    );
    expect(() => breaker.reset(undefined as never)).to.throw(TypeError, 'CircuitBreaker.reset "key" must be a string');
  });
});
