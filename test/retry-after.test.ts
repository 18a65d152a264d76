import { expect } from 'chai';
import { parseRetryAfter } from '../lib/index.js';

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

  it('never returns a non-finite number', () => {
    expect(parseRetryAfter('9'.repeat(400), now)).to.equal(undefined);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', NaN)).to.equal(undefined);
  });
});
