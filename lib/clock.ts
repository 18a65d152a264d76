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
    // A reading that is no number (a user's clock gave NaN) is ignored: time stands still,
    // rather than every later reading becoming NaN too.
    if (Number.isNaN(time)) return last === -Infinity ? 0 : last;
    if (time < last) offset += last - time;
    last = Math.max(time, last);
    return last;
  };
}

/**
 * The wall clock's lead on the monotonic clock, remembered over time: a step of the wall clock
 * (NTP, a resumed VM) starts a new stretch, so a monotonic time read before the step still
 * converts to the wall time it had. What a fast-path call's `startedAt` (for people) comes
 * from, without a second value in the config. Allocates only when the wall clock steps.
 */
export class WallClockLead {
  readonly #stretches: { readonly from: number; readonly lead: number }[] = [];

  /** Notes the lead at monotonic time `mono` (read just now). */
  note(mono: number): void {
    const lead = Date.now() - mono;
    const last = this.#stretches[this.#stretches.length - 1];
    // Below 50 ms is the two clocks' drift, not a step.
    if (last && Math.abs(lead - last.lead) < 50) return;
    this.#stretches.push({ from: mono, lead });
    if (this.#stretches.length > 16) this.#stretches.shift();
  }

  /** The wall-clock time, in whole ms, of monotonic time `mono`. */
  wallAt(mono: number): number {
    for (let i = this.#stretches.length - 1; i >= 0; i--) {
      const stretch = this.#stretches[i];
      if (stretch && stretch.from <= mono) return Math.round(mono + stretch.lead);
    }
    return Math.round(mono + (this.#stretches[0]?.lead ?? Date.now() - monotonicNow()));
  }
}
