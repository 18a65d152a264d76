import { expect } from 'chai';
import fc from 'fast-check';
import { normalizeOptions } from '../../lib/decide/options.js';
import type { DelayOptions } from '../../lib/index.js';
import { DEFAULTS, nextDelay, parseRetryAfter } from '../../lib/index.js';

const delayOptions: fc.Arbitrary<DelayOptions> = fc
  .record({
    backoff: fc.constantFrom('exponential', 'linear', 'constant') as fc.Arbitrary<DelayOptions['backoff']>,
    baseDelay: fc.double({ min: 0, max: 1e6, noNaN: true }),
    factor: fc.double({ min: 1, max: 100, noNaN: true }),
    extra: fc.double({ min: 0, max: 1e7, noNaN: true }),
    jitter: fc.constantFrom('full', 'equal', 'decorrelated', 'none') as fc.Arbitrary<DelayOptions['jitter']>,
  })
  .map(({ extra, ...o }) => ({ ...o, maxDelay: o.baseDelay + extra }));

const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('properties (fast-check)', () => {
  it('nextDelay is finite and within 0..maxDelay for any valid options, attempt and randomness', () => {
    fc.assert(
      fc.property(
        delayOptions,
        fc.integer({ min: 1, max: 10_000 }),
        fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
        random,
        (options, attempt, previousDelay, r) => {
          const delay = nextDelay({ attempt, previousDelay }, options, () => r);
          expect(Number.isFinite(delay)).to.equal(true);
          expect(delay).to.be.within(0, options.maxDelay);
          if (options.jitter === 'decorrelated')
            expect(delay).to.be.at.least(Math.min(Math.round(options.baseDelay), options.maxDelay));
        },
      ),
    );
  });

  it('nextDelay keeps each jitter within its documented range of the capped backoff', () => {
    fc.assert(
      fc.property(delayOptions, fc.integer({ min: 1, max: 60 }), random, (options, attempt, r) => {
        const capped = nextDelay({ attempt }, { ...options, jitter: 'none' });
        const delay = nextDelay({ attempt }, options, () => r);
        if (options.jitter === 'full') expect(delay).to.be.within(0, capped);
        if (options.jitter === 'equal') expect(delay).to.be.within(Math.floor(capped / 2), capped);
      }),
    );
  });

  it('exponential backoff without jitter never decreases with the attempt, up to the cap', () => {
    fc.assert(
      fc.property(delayOptions, fc.integer({ min: 1, max: 200 }), (options, attempt) => {
        const exact = { ...options, backoff: 'exponential' as const, jitter: 'none' as const };
        const now = nextDelay({ attempt }, exact);
        const next = nextDelay({ attempt: attempt + 1 }, exact);
        expect(next).to.be.at.least(now);
        expect(next).to.be.at.most(exact.maxDelay);
      }),
    );
  });

  it('parseRetryAfter never throws and never returns NaN or a negative number', () => {
    const header = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+eE ,:GMTWedOct'.split('')) }),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      fc.double().map(String),
      fc.anything(),
    );
    fc.assert(
      fc.property(header, fc.oneof(fc.integer(), fc.double()), (value, now) => {
        const ms = parseRetryAfter(value, now);
        if (ms !== undefined) {
          expect(Number.isNaN(ms)).to.equal(false);
          expect(ms).to.be.at.least(0);
          // Only delta-seconds too large to represent read as Infinity ("very long", RFC 9111 §1.2.2).
          if (!Number.isFinite(ms)) expect(String(value).trim()).to.match(/^\d+(\.\d+)?$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('option validation either normalizes or throws a TypeError naming an option', () => {
    const keys = [...Object.keys(DEFAULTS), 'retires', 'colour', '__proto__', 'constructor'];
    const options = fc.dictionary(fc.constantFrom(...keys), fc.anything({ withNullPrototype: true }), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.oneof(options, fc.anything()), (input) => {
        try {
          const result = normalizeOptions(input);
          expect(Object.isFrozen(result)).to.equal(true);
          expect(Number.isInteger(result.retries) && result.retries >= 0).to.equal(true);
          expect(result.maxDelay).to.be.at.least(result.baseDelay);
        } catch (error) {
          expect(error).to.be.instanceOf(TypeError);
          expect((error as Error).message).to.match(
            /^axios-rebound: (option "[\w.]+"|unknown option "[^"]*"|options must be)/,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });
});
