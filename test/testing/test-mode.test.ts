import type { AxiosInstance } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import sinon from 'sinon';
import type { RetryOptions, RetryState } from '../../lib/index.js';
import { attachRetry, Cooldown, getRetryState, retry } from '../../lib/index.js';
import { useTestMode } from '../../lib/testing/index.js';
import { outcome } from '../helpers.js';
import type { Step } from './script.js';
import { scripted } from './script.js';

const SLOT = Symbol.for('axios-rebound.test-mode');

/** An instance answering from `steps`, with axios-rebound attached (no budget: tests make many calls). */
function instance(steps: Step[], options: Partial<RetryOptions> = {}) {
  const adapter = scripted(...steps);
  const api = axios.create({ adapter });
  const handle = attachRetry(api, { budget: false, ...options });
  return { api, handle, adapter };
}

/** What a call decided: its outcome, attempts, stop reason and the delays it waited (or would have). */
async function story(api: AxiosInstance) {
  const result = await outcome(api.get('/x'));
  const state = getRetryState(result.error ?? result.value) as RetryState;
  return {
    ok: result.error === undefined,
    attempts: state.attempt,
    stopReason: state.stopReason,
    delays: state.history.map((record) => record.delayMs),
  };
}

/** The same call under sinon's fake timers, each timer fired when due: the real-time story. */
async function storyUnderFakeTimers(steps: Step[], options: Partial<RetryOptions>) {
  const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  try {
    const { api } = instance(steps, options);
    let done = false;
    const told = story(api).finally(() => (done = true));
    for (let i = 0; i < 100 && !done; i++) await clock.nextAsync();
    return await told;
  } finally {
    clock.restore();
  }
}

/**
 * Runs `run` with timers faked and time standing still: `waited` when it could not settle
 * without a timer firing (it is then settled by running the timers); `timersLeft`: the timers
 * still pending once it has settled, with time still standing.
 */
async function inStillTime(run: () => Promise<unknown>): Promise<{ waited: boolean; timersLeft: number }> {
  const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    let settled = false;
    const running = outcome(run()).then(() => (settled = true));
    for (let turn = 0; turn < 50 && !settled; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    const waited = !settled;
    const timersLeft = clock.countTimers();
    if (waited) await clock.runAllAsync();
    await running;
    return { waited, timersLeft };
  } finally {
    clock.restore();
  }
}

/** `true` when `run` needed a timer to fire to settle: it waited. */
const waits = async (run: () => Promise<unknown>) => (await inStillTime(run)).waited;

describe('axios-rebound/testing: useTestMode', () => {
  let undo: (() => void) | undefined;
  afterEach(() => {
    undo?.();
    undo = undefined;
    expect((globalThis as Record<symbol, unknown>)[SLOT]).to.equal(undefined);
  });

  it('retries with the default delays without waiting, and records the delays it skipped', async () => {
    undo = useTestMode();
    const { api, adapter } = instance([503, 503, 503, 200]);
    let told: Awaited<ReturnType<typeof story>> | undefined;
    expect(await waits(async () => (told = await story(api)))).to.equal(false);
    expect(told).to.include({ ok: true, attempts: 4 });
    expect(adapter.sent()).to.equal(4);
    // Full jitter: each delay between 0 and 200·2ⁿ.
    const [first, second, third] = told?.delays ?? [];
    expect(first).to.be.within(0, 200);
    expect(second).to.be.within(0, 400);
    expect(third).to.be.within(0, 800);
  });

  it('covers retry(fn) too when process-wide', async () => {
    undo = useTestMode({ delays: 'skip' });
    let calls = 0;
    const waited = await waits(() =>
      retry(
        () => {
          calls += 1;
          if (calls < 4) throw new Error('flaky');
          return 'done';
        },
        { baseDelay: 10_000, jitter: 'none', budget: false },
      ),
    );
    expect(waited).to.equal(false);
    expect(calls).to.equal(4);
  });

  it('waits for real again once undone, and undoing twice is harmless', async () => {
    undo = useTestMode();
    undo();
    undo();
    const { api } = instance([503, 200], { baseDelay: 5, jitter: 'none' });
    expect(await waits(() => api.get('/x'))).to.equal(true);
  });

  it('stays on while any mode is in force', async () => {
    const first = useTestMode();
    undo = useTestMode();
    first();
    const { api } = instance([503, 200], { baseDelay: 20_000, jitter: 'none' });
    expect(await waits(() => api.get('/x'))).to.equal(false);
  });

  it('per instance: skips the waits of that instance only, never of another', async () => {
    const inTest = instance([503, 503, 200], { baseDelay: 20_000, jitter: 'none' });
    undo = useTestMode({ delays: 'skip', instance: inTest.api });
    const other = instance([503, 200], { baseDelay: 5, jitter: 'none' });
    const later = axios.create({ adapter: scripted(503, 200) });
    attachRetry(later, { baseDelay: 5, jitter: 'none', budget: false });
    expect(await waits(() => inTest.api.get('/x'))).to.equal(false);
    expect(await waits(() => other.api.get('/x'))).to.equal(true);
    expect(await waits(() => later.get('/x'))).to.equal(true);
    // A call with per-request options is still the instance's.
    expect(await waits(() => inTest.api.get('/x', { retry: { retries: 1 } }))).to.equal(false);
    undo();
    expect(inTest.api.defaults).not.to.have.property('axiosReboundTestMode');
  });

  it('per instance: does not reach retry(fn)', async () => {
    undo = useTestMode({ instance: instance([200]).api });
    let calls = 0;
    const waited = await waits(() =>
      retry(
        () => {
          calls += 1;
          if (calls < 2) throw new Error('flaky');
        },
        { baseDelay: 5, jitter: 'none' },
      ),
    );
    expect(waited).to.equal(true);
  });

  describe('keeps every decision as in real time (compared with sinon fake timers)', () => {
    const cases: [string, Step[], Partial<RetryOptions>][] = [
      ['deadline 1000, exponential from 400', [503], { deadline: 1000, baseDelay: 400, jitter: 'none' }],
      ['deadline 3100, exponential from 400', [503], { deadline: 3100, baseDelay: 400, jitter: 'none', retries: 5 }],
      ['deadline 2000, linear from 300', [503], { deadline: 2000, baseDelay: 300, backoff: 'linear', jitter: 'none' }],
      ['retries exhausted before the deadline', [503], { deadline: 60_000, baseDelay: 100, jitter: 'none' }],
      [
        'Retry-After 1 s with a deadline of 2.5 s',
        [{ status: 503, headers: { 'retry-after': '1' } }],
        { deadline: 2500, cooldown: false },
      ],
      [
        'a 429 that cools the origin down, deadline 1.5 s',
        [{ status: 429, headers: { 'retry-after': '1' } }, 200],
        { deadline: 1500 },
      ],
      [
        'a 429 that cools the origin down, twice, deadline 2.5 s',
        [{ status: 429, headers: { 'retry-after': '1' } }],
        { deadline: 2500 },
      ],
      ['network errors', [{ code: 'ECONNRESET' }, { code: 'ECONNRESET' }, 200], { baseDelay: 250, jitter: 'none' }],
    ];
    // The spread after a cooldown and the jitter are drawn: the same draws in both runs.
    beforeEach(() => sinon.stub(Math, 'random').returns(0.5));
    afterEach(() => sinon.restore());
    for (const [name, steps, options] of cases) {
      it(name, async () => {
        const real = await storyUnderFakeTimers(steps, options);
        undo = useTestMode();
        const { api } = instance(steps, options);
        expect(await story(api)).to.deep.equal(real);
      });
    }
  });

  it('still stops on a Retry-After above maxRetryAfter', async () => {
    undo = useTestMode();
    const { api } = instance([{ status: 429, headers: { 'retry-after': '120' } }], { maxRetryAfter: 30_000 });
    expect(await story(api)).to.deep.include({ ok: false, attempts: 1, stopReason: 'retry-after-too-long' });
  });

  it("skips an origin's cooldown wait, and still fails fast when the wait would not fit", async () => {
    undo = useTestMode();
    const cooldown = new Cooldown();
    const first = instance([{ status: 429, headers: { 'retry-after': '2' } }], { cooldown, retries: 0 });
    await outcome(first.api.get('/x'));
    // The origin cools down for 2 s: a call with 1 s left fails fast, nothing sent.
    const hurried = instance([200], { cooldown, deadline: 1000 });
    const failed = await outcome(hurried.api.get('/x'));
    expect(failed.error).to.have.property('code', 'ERR_RATE_LIMITED');
    expect(hurried.adapter.sent()).to.equal(0);
    // One with time enough waits (no time at all) and goes.
    const patient = instance([200], { cooldown, deadline: 5000 });
    expect(await waits(() => patient.api.get('/x'))).to.equal(false);
    expect(patient.adapter.sent()).to.equal(1);
    expect(cooldown.snapshot()).to.include({ waited: 1, failedFast: 1 });
  });

  it('leaves no timer behind', async () => {
    undo = useTestMode();
    const { api } = instance([503, { status: 429, headers: { 'retry-after': '3' } }, 200], {
      deadline: 10_000,
      attemptTimeout: 5000,
    });
    expect(await inStillTime(() => api.get('/x'))).to.deep.equal({ waited: false, timersLeft: 0 });
  });

  it('names a bad option', () => {
    expect(() => useTestMode({ delays: 'real' as 'skip' })).to.throw(TypeError, /useTestMode option "delays"/);
    expect(() => useTestMode({ instance: {} as AxiosInstance })).to.throw(TypeError, /"instance"/);
    expect(() => useTestMode({ dealys: 'skip' } as object)).to.throw(TypeError, /unknown useTestMode option "dealys"/);
  });
});
