import sinon from 'sinon';

/** 2025-01-01T00:00:00Z: a wall clock far from 0, so that it can step back an hour. */
export const WALL_START = Date.UTC(2025, 0, 1);
export const HOUR = 3_600_000;

/**
 * Fake time for the budget and the breaker, which measure durations on `performance.now()`.
 * `setSystemTime` then steps the wall clock (`Date`) alone, as NTP or a resumed VM would.
 * Not for nock tests: `until()` in helpers.ts needs the real `performance.now()`.
 */
export function fakeTime(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ now: WALL_START, toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
}
