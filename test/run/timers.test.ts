import { expect } from 'chai';
import sinon from 'sinon';
import { CallerAbort } from '../../lib/run/abort.js';
import { AttemptTimer, afterPendingIo, sleep } from '../../lib/run/timers.js';
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

describe('afterPendingIo (fake setImmediate)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => clock.restore());

  it('runs after three turns of the event loop, so a compressed answer has turns to be decoded', () => {
    let ran = 0;
    afterPendingIo(() => (ran += 1));
    clock.next();
    clock.next();
    expect(ran).to.equal(0);
    clock.next();
    expect(ran).to.equal(1);
    expect(clock.countTimers()).to.equal(0);
  });

  it('is cancelled at any turn, leaving nothing behind', () => {
    let ran = false;
    const cancel = afterPendingIo(() => (ran = true));
    clock.next();
    cancel();
    expect(clock.countTimers()).to.equal(0);
    expect(ran).to.equal(false);
  });

  it('falls back to a 0 ms timer where there is no setImmediate (browsers)', () => {
    const saved = globalThis.setImmediate;
    // @ts-expect-error: removed for the test, as in a browser
    delete globalThis.setImmediate;
    try {
      let ran = false;
      afterPendingIo(() => (ran = true));
      expect(ran).to.equal(false);
      clock.tick(0);
      expect(ran).to.equal(true);
    } finally {
      globalThis.setImmediate = saved;
    }
  });
});
