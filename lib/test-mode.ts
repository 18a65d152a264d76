/**
 * Test mode as the library sees it: a slot on `globalThis` that `axios-rebound/testing` fills
 * (`useTestMode`) and the library asks at the moment it would wait. Under `Symbol.for`, so that
 * the ESM and the CommonJS copy of the package, both loaded in one process (a test runner in one
 * format, a dependency in the other), share it.
 */
export const TEST_MODE = Symbol.for('axios-rebound.test-mode');

/**
 * A call about to wait, as test mode sees it. A skipped wait is time that has passed for the
 * call: test mode moves its start back by the wait (every deadline check measures from it), and
 * puts the wait in `skippedMs`, which the next cooldown check takes as run down too (the
 * cooldown's clock did not move). Both are left alone when the wait is really waited.
 */
export interface Waiting {
  startedMono: number;
  skippedMs?: number;
}

/**
 * What the slot holds: skips the wait of `ms` (`config`: the request's; none under `retry(fn)`)
 * and accounts for it in `call` as above, returning `true`; or returns `false`.
 */
export type TestMode = (call: Waiting, ms: number, config: object | undefined) => boolean;

/** Truthy when test mode has skipped this wait (see `TestMode`). */
export const skipsWait = (call: Waiting, ms: number, config: object | undefined): boolean | undefined =>
  (globalThis as { [TEST_MODE]?: TestMode })[TEST_MODE]?.(call, ms, config);
