import { expect } from 'chai';
import fc from 'fast-check';
import nock from 'nock';
import type sinon from 'sinon';
import { getRetryState } from '../../lib/index.js';
import { client, drive, fakeClock, netError, ORIGIN } from '../helpers.js';

type Step = { kind: 'status'; status: number; retryAfter?: string } | { kind: 'error'; code: string };

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const RETRYABLE_CODE = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('status' as const),
    status: fc.constantFrom(200, 201, 204, 400, 401, 404, 408, 409, 429, 500, 501, 502, 503, 504),
  }),
  fc.record({
    kind: fc.constant('status' as const),
    status: fc.constantFrom(429, 503),
    retryAfter: fc.oneof(
      fc.integer({ min: -5, max: 120 }).map(String),
      fc.constantFrom('0', '1.5', 'soon', '', 'Thu, 01 Jan 1970 00:00:00 GMT', '99999999'),
      fc.string({ maxLength: 8 }),
    ),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    code: fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND'),
  }),
);

const scenario = fc.record({
  method: fc.constantFrom('get', 'put', 'delete', 'post', 'patch'),
  withKey: fc.boolean(),
  retries: fc.integer({ min: 0, max: 4 }),
  deadline: fc.option(fc.integer({ min: 50, max: 20_000 }), { nil: undefined }),
  baseDelay: fc.integer({ min: 0, max: 2000 }),
  jitter: fc.constantFrom('full', 'equal', 'decorrelated', 'none') as fc.Arbitrary<
    'full' | 'equal' | 'decorrelated' | 'none'
  >,
  steps: fc.array(step, { minLength: 5, maxLength: 5 }),
});

const failed = (s: Step) => s.kind === 'error' || s.status >= 400;
/** A 409 is retried for a request that carries an idempotency key (the first one is still being processed). */
const retryable = (s: Step, keyed: boolean) =>
  s.kind === 'error' ? RETRYABLE_CODE.has(s.code) : RETRYABLE_STATUS.has(s.status) || (keyed && s.status === 409);

describe('interceptor properties under arbitrary scripts (fast-check, nock, fake timers)', function () {
  this.timeout(60_000);
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('bounds attempts, never retries what must not be, keeps the key, keeps the deadline, and settles once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        nock.cleanAll();
        const seen: { key: unknown }[] = [];
        let scope = nock(ORIGIN);
        for (const st of s.steps) {
          const interceptor = scope.intercept('/p', s.method.toUpperCase());
          scope =
            st.kind === 'error'
              ? interceptor.replyWithError(netError(st.code))
              : interceptor.reply(st.status, '', st.retryAfter === undefined ? {} : { 'Retry-After': st.retryAfter });
        }
        scope.on('request', (req: { headers: Record<string, unknown> }) =>
          seen.push({ key: req.headers['idempotency-key'] }),
        );
        let giveUps = 0;
        const { api, inFlight } = client({
          retries: s.retries,
          baseDelay: s.baseDelay,
          maxDelay: Math.max(s.baseDelay, 5000),
          jitter: s.jitter,
          budget: false,
          idempotencyKey: s.withKey,
          ...(s.deadline === undefined ? {} : { deadline: s.deadline }),
          onGiveUp: () => void giveUps++,
        });
        const started = Date.now();
        const settled = await drive(clock, api.request({ url: '/p', method: s.method }), () => inFlight() === 0);
        const n = seen.length;

        expect(n).to.be.within(1, s.retries + 1);
        // Everything before the last attempt failed in a retryable way.
        const safeMethod = ['get', 'put', 'delete'].includes(s.method);
        const keyed = s.withKey && !safeMethod;
        for (const earlier of s.steps.slice(0, n - 1)) expect(retryable(earlier, keyed)).to.equal(true);
        if (!safeMethod && !s.withKey) expect(n).to.equal(1);
        if (s.withKey && !safeMethod) {
          expect(typeof seen[0]?.key).to.equal('string');
          expect(new Set(seen.map((r) => r.key)).size).to.equal(1);
        }
        if (s.deadline !== undefined) expect(Date.now() - started).to.be.at.most(s.deadline + 1);
        // The outcome matches the last scripted step, and the story says why it stopped.
        const last = s.steps[n - 1];
        expect(settled.error !== undefined).to.equal(last !== undefined && failed(last));
        expect(giveUps).to.equal(settled.error ? 1 : 0);
        if (settled.error) expect(getRetryState(settled.error)?.stopReason).to.be.a('string');
        expect(getRetryState(settled.error ?? settled.value)?.attempt).to.equal(n);
      }),
      { numRuns: 150 },
    );
  });
});
