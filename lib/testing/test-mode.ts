import type { AxiosInstance } from 'axios';
import type { TestMode, Waiting } from '../test-mode.js';
import { TEST_MODE } from '../test-mode.js';
import { known, problem } from './check.js';

/** @category Testing */
export interface TestModeOptions {
  /**
   * `'skip'`: every wait of a retry (the backoff, the origin's cooldown) ends at once, and
   * counts as time that has passed for the call: attempts, classification, Retry-After and
   * deadlines decide as they would have in real time. @default 'skip'
   */
  delays: 'skip';
  /**
   * Only the requests of this axios instance (with `attachRetry` on it); `undefined`: every
   * call in the process, `retry(fn)` included. @default undefined
   */
  instance: AxiosInstance | undefined;
}

/**
 * The slot's function, shared by every copy of the package in the process (ESM and CommonJS):
 * it holds the modes in force, each for one instance (its mark) or for the whole process.
 */
interface Slot extends TestMode {
  readonly modes: Set<Mode>;
}

interface Mode {
  readonly mark: InstanceMark | undefined;
}

/**
 * What an instance in test mode carries in its defaults, so every request config axios merges
 * from them carries it too: axios copies plain objects under unknown keys, but keeps a class
 * instance as it is, and so its identity.
 */
class InstanceMark {}

/** The config key of the mark (a string: axios 1.7 drops symbol keys when it merges a config). */
const MARK_KEY = 'axiosReboundTestMode';

const slotHolder = globalThis as { [TEST_MODE]?: unknown };

/** The slot in force, made if none is. */
function slot(): Slot {
  const current = slotHolder[TEST_MODE];
  if (typeof current === 'function' && (current as Partial<Slot>).modes instanceof Set) return current as Slot;
  const modes = new Set<Mode>();
  const skip = (call: Waiting, ms: number, config: object | undefined): boolean => {
    const mark = (config as Record<string, unknown> | undefined)?.[MARK_KEY];
    let skips = false;
    for (const mode of modes) if (mode.mark === undefined || mode.mark === mark) skips = true;
    // The wait has passed for the call (see lib/test-mode.ts); one really waited is left alone.
    call.skippedMs = skips ? ms : 0;
    if (skips) call.startedMono -= ms;
    return skips;
  };
  const made: Slot = Object.assign(skip, { modes });
  slotHolder[TEST_MODE] = made;
  return made;
}

/**
 * Turns test mode on: retries keep every rule but wait no real time (see
 * {@link TestModeOptions}); `getRetryState(error).history[i].delayMs` still says what would have
 * been waited. Returns the function that turns this mode off again (calling it twice is
 * harmless). Modes stack: test mode stays on while any is in force. An attempt itself (a slow
 * server, `attemptTimeout`) still takes real time.
 * @category Testing
 */
export function useTestMode(options: Partial<TestModeOptions> = {}): () => void {
  if (typeof options !== 'object' || options === null) throw problem('useTestMode', 'options', 'an object', options);
  known('useTestMode', options, ['delays', 'instance']);
  const { delays = 'skip', instance } = options;
  if (delays !== 'skip') throw problem('useTestMode', 'delays', "'skip'", delays);
  if (instance !== undefined && (typeof instance !== 'function' || typeof instance.defaults !== 'object')) {
    throw problem('useTestMode', 'instance', 'an axios instance or undefined', instance);
  }
  const defaults = instance?.defaults as Record<string, unknown> | undefined;
  // One mark per instance, whichever copy of the package put it there.
  let mark: InstanceMark | undefined;
  if (defaults) {
    const present = defaults[MARK_KEY];
    mark = typeof present === 'object' && present !== null ? present : new InstanceMark();
    defaults[MARK_KEY] = mark;
  }
  const { modes } = slot();
  const mode: Mode = { mark };
  modes.add(mode);
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    modes.delete(mode);
    if (defaults && ![...modes].some((other) => other.mark === mark)) delete defaults[MARK_KEY];
    if (modes.size === 0 && (slotHolder[TEST_MODE] as Partial<Slot> | undefined)?.modes === modes) {
      delete slotHolder[TEST_MODE];
    }
  };
}
