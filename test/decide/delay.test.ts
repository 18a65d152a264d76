import { expect } from 'chai';
import type { DelayOptions } from '../../lib/index.js';
import { DEFAULTS, nextDelay } from '../../lib/index.js';

const options = (overrides: Partial<DelayOptions> = {}): DelayOptions => ({
  backoff: DEFAULTS.backoff,
  baseDelay: DEFAULTS.baseDelay,
  factor: DEFAULTS.factor,
  maxDelay: DEFAULTS.maxDelay,
  jitter: DEFAULTS.jitter,
  ...overrides,
});
const fixed = (value: number) => () => value;

describe('nextDelay', () => {
  it('grows exponentially from baseDelay by factor without jitter', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) => nextDelay({ attempt }, options({ jitter: 'none' })));
    expect(delays).to.deep.equal([200, 400, 800, 1600, 3200]);
  });

  it('supports linear and constant backoff', () => {
    const linear = [1, 2, 3].map((attempt) => nextDelay({ attempt }, options({ jitter: 'none', backoff: 'linear' })));
    const constant = [1, 2, 3].map((attempt) =>
      nextDelay({ attempt }, options({ jitter: 'none', backoff: 'constant' })),
    );
    expect(linear).to.deep.equal([200, 400, 600]);
    expect(constant).to.deep.equal([200, 200, 200]);
  });

  it('caps at maxDelay before jitter, even for huge attempts', () => {
    const opts = options({ jitter: 'none', maxDelay: 1000 });
    expect(nextDelay({ attempt: 4 }, opts)).to.equal(1000);
    expect(nextDelay({ attempt: 5000 }, opts)).to.equal(1000);
    expect(nextDelay({ attempt: 5000 }, options({ jitter: 'full', maxDelay: 1000 }), fixed(0.5))).to.equal(500);
  });

  it('stays 0 for a zero baseDelay however large the attempt (0 · Infinity is NaN)', () => {
    expect(nextDelay({ attempt: 169 }, options({ baseDelay: 0, factor: 66, maxDelay: 0 }), fixed(0.5))).to.equal(0);
    expect(nextDelay({ attempt: 2000 }, options({ baseDelay: 0, maxDelay: 100, jitter: 'none' }))).to.equal(0);
  });

  it('full jitter spreads uniformly over 0..d', () => {
    const opts = options({ jitter: 'full' });
    expect(nextDelay({ attempt: 3 }, opts, fixed(0))).to.equal(0);
    expect(nextDelay({ attempt: 3 }, opts, fixed(0.5))).to.equal(400);
    expect(nextDelay({ attempt: 3 }, opts, fixed(0.999999))).to.equal(800);
  });

  it('equal jitter keeps at least half: d/2..d', () => {
    const opts = options({ jitter: 'equal' });
    expect(nextDelay({ attempt: 3 }, opts, fixed(0))).to.equal(400);
    expect(nextDelay({ attempt: 3 }, opts, fixed(0.5))).to.equal(600);
    expect(nextDelay({ attempt: 3 }, opts, fixed(0.999999))).to.equal(800);
  });

  it('decorrelated jitter draws from base..3*previous and is capped', () => {
    const opts = options({ jitter: 'decorrelated', maxDelay: 2000 });
    expect(nextDelay({ attempt: 1 }, opts, fixed(0))).to.equal(200);
    expect(nextDelay({ attempt: 1 }, opts, fixed(0.999999))).to.equal(600);
    expect(nextDelay({ attempt: 2, previousDelay: 500 }, opts, fixed(0.5))).to.equal(850);
    expect(nextDelay({ attempt: 9, previousDelay: 1900 }, opts, fixed(0.999999))).to.equal(2000);
    // A previous delay below base (say 0 after Retry-After: 0) still draws from base upwards.
    expect(nextDelay({ attempt: 2, previousDelay: 0 }, opts, fixed(0.7))).to.equal(200);
  });

  it('passes the attempt and context to a custom backoff function', () => {
    const seen: unknown[] = [];
    const backoff = (attempt: number, ctx: { previousDelay: number | undefined }) => {
      seen.push([attempt, ctx.previousDelay]);
      return attempt * 7;
    };
    expect(nextDelay({ attempt: 3, previousDelay: 14 }, options({ backoff, jitter: 'none' }))).to.equal(21);
    expect(seen).to.deep.equal([[3, 14]]);
  });

  it('clamps a custom function to maxDelay and rejects NaN or negative results', () => {
    expect(nextDelay({ attempt: 1 }, options({ backoff: () => Infinity, jitter: 'none', maxDelay: 50 }))).to.equal(50);
    expect(() => nextDelay({ attempt: 1 }, options({ backoff: () => NaN }))).to.throw(TypeError, /backoff function/);
    expect(() => nextDelay({ attempt: 1 }, options({ backoff: () => -1 }))).to.throw(TypeError, /backoff function/);
  });

  it('rejects an attempt that is not an integer >= 1', () => {
    expect(() => nextDelay({ attempt: 0 }, options())).to.throw(TypeError, /attempt/);
    expect(() => nextDelay({ attempt: 1.5 }, options())).to.throw(TypeError, /attempt/);
  });
});
