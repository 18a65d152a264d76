import { expect } from 'chai';
import type { FailureFacts } from '../../lib/decide/decision.js';
import { decide } from '../../lib/decide/decision.js';
import { normalizeOptions } from '../../lib/decide/options.js';
import { parseRetryAfter } from '../../lib/index.js';

/** A 503 that carries `Retry-After: value`, as decide reads it. */
const retryAfter = (value: unknown) => ({
  status: 503,
  headers: (name: string) => (name === 'retry-after' ? value : undefined),
});

const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

describe('parseRetryAfter', () => {
  it('reads delta-seconds, including fractions, as ms', () => {
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter(' 3 ', now)).to.equal(3000);
    expect(parseRetryAfter('1.5', now)).to.equal(1500);
    expect(parseRetryAfter('0', now)).to.equal(0);
  });

  it('reads an HTTP-date as the time until then', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).to.equal(30_000);
  });

  it('reads a past HTTP-date as no wait', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).to.equal(0);
  });

  it('ignores garbage, negative values and non-strings', () => {
    for (const value of ['', 'soon', '-5', '1e3', '0x10', '12abc', 'Wed, 99 Foo 2015', undefined, null, 5, ['1']]) {
      expect(parseRetryAfter(value, now), String(value)).to.equal(undefined);
    }
  });

  it('never returns NaN', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', NaN)).to.equal(undefined);
  });

  it('reads delta-seconds too large to represent as longer than any maxRetryAfter (RFC 9111 §1.2.2)', () => {
    expect(parseRetryAfter('9'.repeat(400), now)).to.be.greaterThan(Number.MAX_VALUE);
    expect(parseRetryAfter(`${'9'.repeat(400)}.5`, now)).to.be.greaterThan(Number.MAX_VALUE);
  });
});

describe('decide on a Retry-After too large to represent', () => {
  it('gives up as retry-after-too-long, whatever maxRetryAfter allows', () => {
    const facts: FailureFacts = {
      attempt: 1,
      canceled: false,
      deadlineReached: false,
      retryable: true,
      bodyReplayable: true,
      response: retryAfter('9'.repeat(400)),
      previousDelay: undefined,
      elapsedMs: 0,
      wallNow: now,
    };
    for (const maxRetryAfter of [0, 60_000, Number.MAX_VALUE]) {
      const options = normalizeOptions({ maxRetryAfter });
      expect(decide(facts, options), String(maxRetryAfter)).to.deep.equal({
        retry: false,
        reason: 'retry-after-too-long',
      });
    }
  });
});
