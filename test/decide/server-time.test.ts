import { expect } from 'chai';
import {
  DEFAULT_RESET_HEADERS,
  policyRate,
  rateLimitWait,
  resetWait,
  serverTime,
  serverVerdict,
} from '../../lib/decide/server-time.js';
import type { ResetFormat } from '../../lib/index.js';

const now = Date.UTC(2026, 11, 1, 12, 0, 0);
const nowSeconds = now / 1000;
/** Headers as axios gives them: by lower-case name. */
const headers =
  (values: Record<string, unknown>) =>
  (name: string): unknown =>
    values[name];
const timeOf = (values: Record<string, unknown>, status = 429) =>
  serverTime(headers(values), status, DEFAULT_RESET_HEADERS, now);

describe('what the server says about time', () => {
  describe('precedence: the first header present and well-formed wins', () => {
    it('reads Retry-After first, then retry-after-ms, then RateLimit, then the reset headers', () => {
      const all = {
        'retry-after': '7',
        'retry-after-ms': '1500',
        ratelimit: '"default";r=0;t=30',
        'x-ratelimit-reset': String(nowSeconds + 90),
      };
      expect(timeOf(all)).to.deep.equal({ waitMs: 7000, source: 'retry-after' });
      const { 'retry-after': _a, ...noRetryAfter } = all;
      expect(timeOf(noRetryAfter)).to.deep.equal({ waitMs: 1500, source: 'retry-after-ms' });
      const { 'retry-after-ms': _b, ...onlyQuota } = noRetryAfter;
      expect(timeOf(onlyQuota)).to.deep.equal({ waitMs: 30_000, source: 'ratelimit' });
      const { ratelimit: _c, ...onlyReset } = onlyQuota;
      expect(timeOf(onlyReset)).to.deep.equal({ waitMs: 90_000, source: 'reset' });
      expect(timeOf({})).to.equal(undefined);
    });

    it('passes over a malformed header to the next one', () => {
      expect(timeOf({ 'retry-after': 'soon', 'retry-after-ms': '250' })).to.deep.equal({
        waitMs: 250,
        source: 'retry-after-ms',
      });
      expect(timeOf({ 'retry-after-ms': '-5', ratelimit: 'default;r=0;t=2' })).to.deep.equal({
        waitMs: 2000,
        source: 'ratelimit',
      });
      expect(timeOf({ ratelimit: 'default;r=0;t=', 'ratelimit-reset': '4' })).to.deep.equal({
        waitMs: 4000,
        source: 'reset',
      });
    });

    it('keeps the rules of Retry-After: a delta too large to represent is Infinity ("too long"), not ignored', () => {
      expect(timeOf({ 'retry-after': '9'.repeat(400), 'retry-after-ms': '10' })?.waitMs).to.equal(Infinity);
    });
  });

  describe('retry-after-ms', () => {
    it('is milliseconds, a fraction rounded up; negative, empty or 50 years away is ignored', () => {
      const ms = (value: string) => timeOf({ 'retry-after-ms': value });
      expect(ms('1200')?.waitMs).to.equal(1200);
      expect(ms('0.4')?.waitMs).to.equal(1);
      for (const bad of ['-1', '', 'abc', '1e3', String(51 * 365 * 24 * 3600 * 1000)]) {
        expect(ms(bad), bad).to.equal(undefined);
      }
    });
  });

  describe('the RateLimit field (draft-ietf-httpapi-ratelimit-headers-10)', () => {
    const table: [string, number | undefined][] = [
      ['"default";r=0;t=30', 30_000],
      ['default;r=0;t=30', 30_000],
      ['"default";t=30;r=0', 30_000],
      ['"default";r=5;t=30', undefined], // quota left: not a time to come back
      ['"default";r=0', undefined], // no t: no time
      ['"a";r=10;t=1, "b";r=0;t=12, "c";r=0;t=4', 12_000], // the longest spent policy
      ['"a";r=0;t=2,"b";r=0;t=3', 3000],
      ['"default";r=0;t=-3', undefined], // negative
      ['"default";r=0;t=1.5', undefined], // t must be an integer
      ['"default";r=0.0;t=3', undefined], // r must be an integer
      ['"default";r=0;t="30"', undefined], // a string is not a number
      ['"default";r=0;t=30,', undefined], // trailing comma: the field does not parse
      ['"default;r=0;t=30', undefined], // unterminated string
      ['"default" r=0;t=30', undefined], // garbage between members
      ['(a b);r=0;t=3', undefined], // an inner list: the whole field is ignored
      ['"default";r=0;t=30;x=?1;y=:AQID:;z=tok', 30_000], // other parameters of any type are fine
      ['"default";r=0;t=99999999999', undefined], // 3 000 years: implausible
      ['', undefined],
    ];
    for (const [value, waitMs] of table) {
      it(`reads ${JSON.stringify(value)} as ${waitMs === undefined ? 'nothing' : `${waitMs} ms`}`, () => {
        expect(rateLimitWait(value)).to.equal(waitMs);
      });
    }

    it('reads a field sent on several lines (an array, or joined by axios) as one list', () => {
      expect(rateLimitWait(['"a";r=1;t=1', '"b";r=0;t=6'])).to.equal(6000);
      expect(rateLimitWait(undefined)).to.equal(undefined);
      expect(rateLimitWait(42)).to.equal(undefined);
    });
  });

  describe('the RateLimit-Policy field: the rate to pace at', () => {
    it("is the spent item's rate, matched by name in RateLimit; else the shortest window's", () => {
      const policy = '"burst";q=100;w=1, "day";q=1000;w=86400';
      expect(policyRate(policy)).to.equal(100);
      expect(policyRate(policy, '"burst";r=0;t=1, "day";r=900;t=50000')).to.equal(100);
      expect(policyRate(policy, '"burst";r=40;t=1, "day";r=0;t=50000')).to.equal(1000 / 86400);
      expect(policyRate('"default";q=100;w=10')).to.equal(10);
      expect(policyRate(['"a";q=50;w=2', '"b";q=20;w=1'])).to.equal(20);
    });

    it('counts only items in requests', () => {
      expect(policyRate('"bytes";q=1000;w=1;qu="content-bytes", "req";q=5;w=10;qu="requests"')).to.equal(0.5);
      expect(policyRate('"bytes";q=1000;w=1;qu="content-bytes"')).to.equal(undefined);
    });

    it('is undefined for an item without q or w, with a zero or decimal one, or a field that does not parse', () => {
      for (const value of ['"a";q=10', '"a";w=1', '"a";q=0;w=1', '"a";q=1.5;w=1', '"a";q=10;w=1,', 'q=10;w=1 x', 3]) {
        expect(policyRate(value), String(value)).to.equal(undefined);
      }
    });
  });

  describe("the response's Date, when the client's clock is off", () => {
    const date = (ms: number) => new Date(ms).toUTCString();
    it('anchors an epoch reset and a Retry-After date on it when it is more than 2 s away', () => {
      const reset = { 'x-ratelimit-reset': String(nowSeconds + 3) };
      for (const skew of [-600_000, 600_000]) {
        const read = headers({ ...reset, date: date(now) });
        expect(serverTime(read, 429, DEFAULT_RESET_HEADERS, now + skew)?.waitMs, String(skew)).to.equal(3000);
        const retryAfter = headers({ 'retry-after': date(now + 5000), date: date(now) });
        expect(serverTime(retryAfter, 503, DEFAULT_RESET_HEADERS, now + skew)?.waitMs, String(skew)).to.equal(5000);
      }
    });

    it('is not used within 2 s (its whole seconds would lengthen every wait), nor when it is not an IMF-fixdate', () => {
      const reset = { 'x-ratelimit-reset': String(nowSeconds + 3) };
      for (const value of [date(now - 1900), '0', 'yesterday', 'Mon, 1', 'Sunday, 06-Nov-94 08:49:37 GMT']) {
        expect(timeOf({ ...reset, date: value })?.waitMs, value).to.equal(3000);
      }
    });

    it('is not used from a cache (Age), nor when more than a day away (a wrong Date is likelier than a clock that far off)', () => {
      const reset = { 'x-ratelimit-reset': String(nowSeconds + 10) };
      expect(timeOf({ ...reset, date: date(now - 3_600_000), age: '3600' })?.waitMs).to.equal(10_000);
      for (const far of [now - 25 * 3_600_000, Date.UTC(2099, 0, 1)]) {
        expect(timeOf({ ...reset, date: date(far) })?.waitMs, date(far)).to.equal(10_000);
      }
    });
  });

  describe('reset headers, in the format the user declares', () => {
    const epochIn90s = String(nowSeconds + 90);
    const table: [string, ResetFormat, number | undefined][] = [
      ['30', 'delta-seconds', 30_000],
      [epochIn90s, 'unix-seconds', 90_000],
      [String(now + 2500), 'unix-ms', 2500],
      [new Date(now + 60_000).toUTCString(), 'http-date', 60_000],
      // 'auto': an epoch from 2024 on, else seconds from now (as ky reads them), else a date.
      [epochIn90s, 'auto', 90_000],
      ['45', 'auto', 45_000],
      [new Date(now + 5000).toUTCString(), 'auto', 5000],
      // The bug this guards against: an epoch read as a delay is 56 years away, ignored.
      [epochIn90s, 'delta-seconds', undefined],
      // A reset in the past is a negative delay: ignored, never waited on.
      [String(nowSeconds - 10), 'unix-seconds', undefined],
      [new Date(now - 5000).toUTCString(), 'http-date', undefined],
      ['30', 'http-date', Number.NaN],
      ['soon', 'delta-seconds', undefined],
      ['Wed, 32 Foo 2026', 'auto', undefined],
    ];
    for (const [value, format, waitMs] of table) {
      const expected = Number.isNaN(waitMs) ? undefined : waitMs;
      it(`reads ${JSON.stringify(value)} as ${format}: ${expected === undefined ? 'nothing' : `${expected} ms`}`, () => {
        expect(resetWait(value, format, now)).to.equal(expected);
      });
    }

    it('reads them only when the quota is spent: a 429, or the matching remaining header at 0', () => {
      const reset = { 'x-ratelimit-reset': String(nowSeconds + 90) };
      expect(timeOf(reset, 503), 'a 503 with GitHub-style headers').to.equal(undefined);
      expect(timeOf({ ...reset, 'x-ratelimit-remaining': '12' }, 503)).to.equal(undefined);
      expect(timeOf({ ...reset, 'x-ratelimit-remaining': '0' }, 503)?.waitMs).to.equal(90_000);
      expect(timeOf(reset, 429)?.waitMs).to.equal(90_000);
    });

    it('reads the headers the user lists, in order, under any case of name', () => {
      const read = headers({ 'x-ratelimit-reset-after': '2.5', 'x-ratelimit-remaining': '0' });
      const declared = [{ header: 'x-ratelimit-reset-after', format: 'delta-seconds' as const }];
      expect(serverTime(read, 503, declared, now)).to.deep.equal({ waitMs: 2500, source: 'reset' });
      expect(serverTime(read, 429, [], now)).to.equal(undefined);
    });
  });

  describe("the server's verdict", () => {
    it('reads x-should-retry, then Stripe-Should-Retry: true, false, or nothing', () => {
      expect(serverVerdict(headers({ 'x-should-retry': 'true' }))).to.equal(true);
      expect(serverVerdict(headers({ 'x-should-retry': ' FALSE ' }))).to.equal(false);
      expect(serverVerdict(headers({ 'stripe-should-retry': 'false' }))).to.equal(false);
      expect(serverVerdict(headers({ 'x-should-retry': 'true', 'stripe-should-retry': 'false' }))).to.equal(true);
      expect(serverVerdict(headers({ 'x-should-retry': 'maybe' }))).to.equal(undefined);
      expect(serverVerdict(headers({}))).to.equal(undefined);
    });
  });
});
