import { atLeast, fail, positive, rejectUnknown } from '../decide/validate.js';
import type { Circuit } from './circuit.js';

/**
 * One circuit in `breaker.toJSON()`. Durations only, never a time of day: another machine's
 * clock means nothing here. `openMs` is how long the circuit was opened for this time (a failed
 * probe doubles it), `remainingOpenMs` how much of that was left when it was saved.
 * @category Protections
 */
export type SavedCircuit =
  | { readonly state: 'open'; readonly remainingOpenMs: number; readonly openMs: number }
  | { readonly state: 'half-open'; readonly openMs: number }
  | { readonly state: 'isolated' };

/**
 * What `breaker.toJSON()` returns and `new CircuitBreaker({ initialState })` takes: plain data,
 * for JSON. Closed circuits are not in it.
 * @category Protections
 */
export interface SavedBreakerState {
  readonly version: 1;
  readonly circuits: Readonly<Record<string, SavedCircuit>>;
}

/**
 * A circuit as saved, or `undefined` for a closed one: its failure count says only that a
 * dependency failed a little, on this instance, some time ago; carried over it would let a
 * later instance open on fewer failures than `failureThreshold`.
 */
export function saved(circuit: Circuit, now: number): SavedCircuit | undefined {
  if (circuit.state === 'closed') return undefined;
  if (circuit.state === 'isolated') return { state: 'isolated' };
  const { openMs } = circuit;
  return circuit.state === 'open' && circuit.openUntil > now
    ? { state: 'open', remainingOpenMs: Math.ceil(circuit.openUntil - now), openMs }
    : { state: 'half-open', openMs };
}

/**
 * A saved circuit as it starts here, on this breaker's clock from `now`. The open time is kept
 * within this breaker's `[openMs, maxOpenMs]`, and the remaining time within that: a state from
 * a breaker with other settings, or edited by hand, never opens a circuit for longer than a
 * failed probe here could. A half-open circuit starts open with nothing left: its probe went
 * from the instance that saved it and will never report here, so the next request probes.
 */
export function restored(circuit: SavedCircuit, now: number, limits: { openMs: number; maxOpenMs: number }): Circuit {
  if (circuit.state === 'isolated') return { state: 'isolated' };
  const openMs = Math.min(Math.max(circuit.openMs, limits.openMs), limits.maxOpenMs);
  const remaining = circuit.state === 'open' ? Math.min(circuit.remainingOpenMs, openMs) : 0;
  return { state: 'open', openUntil: now + remaining, openMs };
}

const OWNER = 'CircuitBreaker option';
const FIELDS: Record<SavedCircuit['state'], readonly string[]> = {
  open: ['state', 'remainingOpenMs', 'openMs'],
  'half-open': ['state', 'openMs'],
  isolated: ['state'],
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws a TypeError naming the first thing wrong with a state for `initialState`: it must be
 * what `toJSON()` produced, of a version this one reads.
 */
export function checkSavedState(value: unknown): asserts value is SavedBreakerState {
  const name = 'initialState';
  if (!isObject(value)) fail(OWNER, name, 'an object from breaker.toJSON() or undefined', value);
  rejectUnknown(OWNER, value, ['version', 'circuits'], `${name}.`);
  if (value.version !== 1) fail(OWNER, `${name}.version`, '1 (the only version this release reads)', value.version);
  const { circuits } = value;
  if (!isObject(circuits)) fail(OWNER, `${name}.circuits`, 'an object of circuits by key', circuits);
  for (const [key, circuit] of Object.entries(circuits)) {
    const at = `${name}.circuits[${JSON.stringify(key)}]`;
    if (!isObject(circuit)) fail(OWNER, at, 'an object', circuit);
    const { state } = circuit;
    if (state !== 'open' && state !== 'half-open' && state !== 'isolated') {
      fail(OWNER, `${at}.state`, '"open", "half-open" or "isolated" (closed circuits are left out)', state);
    }
    rejectUnknown(OWNER, circuit, FIELDS[state], `${at}.`);
    if (state === 'isolated') continue;
    const openMs = positive(circuit.openMs);
    if (openMs) fail(OWNER, `${at}.openMs`, openMs, circuit.openMs);
    const remaining = state === 'open' && atLeast(0)(circuit.remainingOpenMs);
    if (remaining) fail(OWNER, `${at}.remainingOpenMs`, remaining, circuit.remainingOpenMs);
  }
}
