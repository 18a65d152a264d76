/**
 * Milliseconds on a clock that only moves forward, whatever the wall clock does (NTP steps, a
 * resumed VM): what durations are measured on. Never for what people read.
 */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * Wraps a clock so that the time it gives never goes back. When `now` steps back (an injected
 * `Date.now` after an NTP correction), time goes on from where it was, offset by the step:
 * a window then slides and an open circuit times out as if there had been no step, where a
 * clock frozen until the source caught up would hold them for as long as the step. (The step
 * is seen only at the next reading, so the time between the readings around it is lost.)
 */
export function nonDecreasing(now: () => number): () => number {
  let offset = 0;
  let last = -Infinity;
  return () => {
    const time = now() + offset;
    if (time < last) offset += last - time;
    last = Math.max(time, last);
    return last;
  };
}
