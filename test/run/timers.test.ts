import { expect } from 'chai';
import type sinon from 'sinon';
import { CallerAbort } from '../../lib/run/abort.js';
import { AttemptTimer, sleep } from '../../lib/run/timers.js';
import { fakeClock } from '../helpers.js';

const LONGEST = 2 ** 31 - 1;

describe('timers (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  it('waits the whole of a wait longer than a timer can hold (2³¹−1 ms), not 1 ms', async () => {
    let done = false;
    void sleep(3 * LONGEST, undefined, () => new Error('aborted')).then(() => (done = true));
    await clock.tickAsync(LONGEST + 10);
    expect(done).to.equal(false);
    await clock.tickAsync(2 * LONGEST);
    expect(done).to.equal(true);
    expect(clock.countTimers()).to.equal(0);
  });

  it('cancels a chained long wait at once on abort, leaving no timer', async () => {
    const controller = new AbortController();
    const wait = sleep(3 * LONGEST, new CallerAbort(controller.signal, undefined), () => 'aborted');
    await clock.tickAsync(LONGEST + 10);
    controller.abort();
    expect(await wait.catch((reason: unknown) => reason)).to.equal('aborted');
    expect(clock.countTimers()).to.equal(0);
  });

  it('expires an attempt timer longer than a timer can hold only when it is due', async () => {
    const timer = new AttemptTimer(2 * LONGEST, undefined);
    await clock.tickAsync(LONGEST + 10);
    expect(timer.signal.aborted).to.equal(false);
    await clock.tickAsync(LONGEST);
    expect(timer.expired).to.equal(true);
    timer.dispose();
    expect(clock.countTimers()).to.equal(0);
  });
});
