import type { CircuitState } from '../types.js';
import type { CircuitKind } from './circuit-table.js';

/**
 * One circuit's state: each state holds only its own fields. `isolated` is open by hand, with
 * no time: only `reset` ends it.
 */
export type Circuit =
  | { readonly state: 'closed' }
  | { readonly state: 'open'; readonly openUntil: number; readonly openMs: number }
  | { readonly state: 'half-open'; probes: number; readonly openMs: number; readonly cycle: number }
  | { readonly state: 'isolated' };

/**
 * The state as people see it (`snapshot`, `toJSON`, a manual transition's `from`): an open
 * circuit whose time has passed is half-open, though it moves there only when next asked.
 */
export function stateOf(circuit: Circuit, now: number): CircuitState {
  return circuit.state === 'open' && circuit.openUntil <= now ? 'half-open' : circuit.state;
}

/** How the table keeps a circuit in this state. */
export function kindOf(circuit: Circuit): CircuitKind {
  return circuit.state === 'closed' ? 'closed' : circuit.state === 'isolated' ? 'pinned' : 'tripped';
}
