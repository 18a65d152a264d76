import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { RetryState, StopReason } from '../index.js';

/** The instrumentation scope's name: what `metrics.getMeter` and span events are filed under. */
export const SCOPE = 'axios-rebound';

/** The attribute naming why a call gave up: one of `StopReason`'s values. */
export const STOP_REASON_ATTRIBUTE = 'axios_rebound.stop_reason';

/** The stop reasons that are a protection refusing a retry (or an attempt) rather than the failure itself. */
const REFUSALS: ReadonlySet<StopReason> = new Set<StopReason>(['budget', 'circuit-open', 'throttled', 'rate-limited']);

/**
 * Per-call bucket boundaries from gRFC A96 (retries: [1, 2, 3, 4, 5]) and A66 (latencies, in
 * seconds), so dashboards built for gRPC's retry metrics read ours the same way.
 */
const RETRY_BUCKETS = [1, 2, 3, 4, 5];
const DELAY_BUCKETS = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.013,
  0.016, 0.02, 0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 2, 5, 10,
  20, 50, 100,
];

/** The instruments, modelled on gRPC's retry metrics (gRFC A96); names follow the semantic conventions' rules. */
export class RetryMetrics {
  private readonly retries: Histogram;
  private readonly hedges: Histogram;
  private readonly retryDelay: Histogram;
  private readonly giveUps: Counter;
  private readonly refusals: Counter;

  constructor(meter: Meter) {
    this.retries = meter.createHistogram('axios_rebound.client.call.retries', {
      description: 'Retries during a call that had at least one (0 is not recorded, as in gRFC A96).',
      unit: '{retry}',
      advice: { explicitBucketBoundaries: RETRY_BUCKETS },
    });
    this.hedges = meter.createHistogram('axios_rebound.client.call.hedges', {
      description: 'Hedges (extra copies of an attempt) during a call that had at least one (gRFC A96).',
      unit: '{hedge}',
      advice: { explicitBucketBoundaries: RETRY_BUCKETS },
    });
    this.retryDelay = meter.createHistogram('axios_rebound.client.call.retry_delay', {
      description: 'Total backoff delay chosen during a call that had at least one retry.',
      unit: 's',
      advice: { explicitBucketBoundaries: DELAY_BUCKETS },
    });
    this.giveUps = meter.createCounter('axios_rebound.client.give_ups', {
      description: 'Calls that ended in an error axios-rebound gave up on, by stop reason.',
      unit: '{call}',
    });
    this.refusals = meter.createCounter('axios_rebound.client.refusals', {
      description: 'Calls a protection ended: the retry budget, an open circuit, or a cooling-down origin.',
      unit: '{call}',
    });
  }

  /** A call has ended (`stopReason` when it gave up): records what its story says. */
  callEnded(state: Readonly<RetryState>, attributes: Attributes): void {
    // Attempts are counted when sent: a call an open circuit refused outright has 0.
    const retries = Math.max(0, state.attempt - 1);
    if (retries > 0) {
      let delayMs = 0;
      for (const record of state.history) delayMs += record.delayMs ?? 0;
      this.retries.record(retries, attributes);
      this.retryDelay.record(delayMs / 1000, attributes);
    }
    let hedges = 0;
    for (const record of state.history) hedges += record.hedges ?? 0;
    if (hedges > 0) this.hedges.record(hedges, attributes);
    const reason = state.stopReason;
    if (reason === undefined) return;
    const withReason = { ...attributes, [STOP_REASON_ATTRIBUTE]: reason };
    this.giveUps.add(1, withReason);
    if (REFUSALS.has(reason)) this.refusals.add(1, withReason);
  }
}
