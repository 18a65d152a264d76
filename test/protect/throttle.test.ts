import { expect } from 'chai';
import { AdaptiveThrottle } from '../../lib/index.js';

/** A throttle on a hand-moved clock, with a random source the test scripts. */
function throttle(options: { k?: number; maxRejectionProbability?: number; windowMs?: number } = {}) {
  let now = 0;
  let draw = 0.5;
  const t = new AdaptiveThrottle({ minRequests: 0, ...options, now: () => now, random: () => draw });
  return {
    t,
    at: (ms: number) => {
      now = ms;
    },
    draw: (value: number) => {
      draw = value;
    },
  };
}

const refused = { status: 503, network: false };
const accepted = { status: 200, network: false };

describe('AdaptiveThrottle (Google SRE client-side throttling)', () => {
  it('rejects with probability (requests − k · accepts) / (requests + 1), capped', () => {
    const { t, draw } = throttle({ maxRejectionProbability: 1 });
    // 10 requests, 2 accepted: p = (10 − 4) / 11 for the 11th.
    for (let i = 0; i < 10; i++) {
      expect(t.acquire('a').allowed).to.equal(true);
      t.record('a', i < 2 ? accepted : refused);
    }
    draw(6 / 11 - 0.001);
    const admission = t.acquire('a');
    expect(admission).to.deep.equal({ allowed: false, probability: 6 / 11 });
    draw(6 / 11 + 0.01);
    // The rejected one counted as a request: (11 − 4) / 12 now.
    expect(t.acquire('a').probability).to.be.closeTo(7 / 12, 1e-9);
  });

  it('rejects nothing while the backend accepts at least 1 in k', () => {
    const { t, draw } = throttle();
    draw(0);
    for (let i = 0; i < 100; i++) {
      expect(t.acquire('a').allowed, `request ${i}`).to.equal(true);
      t.record('a', i % 2 === 0 ? accepted : refused);
    }
  });

  it('caps the rejection at maxRejectionProbability while the backend refuses everything', () => {
    const { t, draw } = throttle({ maxRejectionProbability: 0.9 });
    draw(0.95);
    for (let i = 0; i < 50; i++) {
      const admission = t.acquire('a');
      expect(admission.allowed).to.equal(true);
      t.record('a', refused);
    }
    expect(t.acquire('a').probability).to.equal(0.9);
  });

  it('forgets refusals older than the window: the backend is trusted again', () => {
    const { t, at, draw } = throttle({ windowMs: 1000, maxRejectionProbability: 1 });
    draw(0.999);
    for (let i = 0; i < 20; i++) {
      t.acquire('a');
      t.record('a', refused);
    }
    expect(t.snapshot().a?.rejectionProbability).to.be.greaterThan(0.9);
    at(1200);
    expect(t.acquire('a').probability).to.equal(0);
  });

  it('keeps keys apart, counts network failures and 429 as refusals and other answers as accepts', () => {
    const { t, draw } = throttle({ maxRejectionProbability: 1 });
    draw(0.999);
    for (const outcome of [
      { status: 429, network: false },
      { status: undefined, network: true },
      { status: 404, network: false },
      { status: 500, network: false },
    ]) {
      t.acquire('b');
      t.record('b', outcome);
    }
    t.acquire('c');
    t.record('c', refused);
    expect(t.snapshot()).to.deep.equal({
      b: { requests: 4, accepts: 2, rejectionProbability: 0 },
      c: { requests: 1, accepts: 0, rejectionProbability: 0.5 },
    });
  });

  it('counts a request let through when it ends: a burst in flight to a healthy backend is not refused', () => {
    const t = new AdaptiveThrottle({ random: () => 0, maxRejectionProbability: 1, minRequests: 0 });
    const burst = Array.from({ length: 40 }, () => t.acquire('a'));
    expect(burst.every((admission) => admission.allowed)).to.equal(true);
    for (let i = 0; i < 40; i++) t.record('a', accepted);
    expect(t.acquire('a').allowed).to.equal(true);
  });

  it("shows a key named __proto__ as a key, not the snapshot's prototype", () => {
    const { t } = throttle();
    t.acquire('__proto__');
    t.record('__proto__', refused);
    const snapshot = t.snapshot();
    expect(Object.keys(snapshot)).to.deep.equal(['__proto__']);
    expect(Object.getPrototypeOf(snapshot)).to.equal(Object.prototype);
  });

  it('takes what counts as refused from isRejection', () => {
    const t = new AdaptiveThrottle({
      isRejection: ({ status }) => status === 500,
      random: () => 0.999,
      minRequests: 0,
    });
    t.acquire('a');
    t.record('a', { status: 500, network: false });
    t.acquire('a');
    t.record('a', { status: 503, network: false });
    expect(t.snapshot().a).to.include({ requests: 2, accepts: 1 });
  });

  it('rejects nothing until the window holds minRequests requests', () => {
    const t = new AdaptiveThrottle({ random: () => 0, maxRejectionProbability: 1 });
    for (let i = 0; i < 10; i++) {
      expect(t.acquire('a').allowed, `request ${i}`).to.equal(true);
      t.record('a', refused);
    }
    expect(t.acquire('a')).to.deep.equal({ allowed: false, probability: 10 / 11 });
  });

  it('defaults to a one-second window, k 2, a cap of one half and 10 requests before any rejection', () => {
    expect(new AdaptiveThrottle().options).to.include({
      windowMs: 1000,
      k: 2,
      maxRejectionProbability: 0.5,
      minRequests: 10,
    });
  });

  it('keeps at most maxKeys keys, forgetting the one used longest ago', () => {
    const t = new AdaptiveThrottle({ maxKeys: 2 });
    for (const key of ['a', 'b', 'a', 'c']) {
      t.acquire(key);
      t.record(key, accepted);
    }
    expect(Object.keys(t.snapshot()).sort()).to.deep.equal(['a', 'c']);
  });

  it('names a bad option', () => {
    expect(() => new AdaptiveThrottle({ k: 0.5 })).to.throw(TypeError, /"k" must be/);
    expect(() => new AdaptiveThrottle({ maxRejectionProbability: 2 })).to.throw(
      TypeError,
      /"maxRejectionProbability" must be a number from 0 to 1/,
    );
    expect(() => new AdaptiveThrottle({ windowMs: 0 })).to.throw(TypeError, /"windowMs"/);
    expect(() => new AdaptiveThrottle({ kk: 2 } as never)).to.throw(TypeError, /did you mean "k"/);
  });
});
