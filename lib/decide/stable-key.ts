import { shown } from './validate.js';

/**
 * A deterministic idempotency key for one item of a named batch: the same for the same batch
 * name and item key in any process, run and order, so that re-running a batch after a crash
 * sends the keys a server has already seen and repeats no side effect. A 128-bit hash (four
 * 32-bit lanes of murmur3's mixing), shown as a UUID of version 8 (custom, RFC 9562): the item
 * key itself (an email, an account number) never appears in the header.
 */
export function stableKey(batchName: string, itemKey: unknown): string {
  // Length-prefixed, so that no name and key can run into another pair's.
  const text = `${batchName.length}:${batchName}${serialize(itemKey)}`;
  const hex = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 0x27d4eb2f]
    .map((seed) => hash32(text, seed).toString(16).padStart(8, '0'))
    .join('');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An item key as text that tells every value apart (`1` from `'1'`, `[null]` from `[NaN]`):
 * strings, finite numbers, booleans, bigints, null, and arrays and plain objects of those (in
 * any key order). Anything else (a Map, a Date, undefined, NaN) has no one text and is refused.
 */
export function serialize(key: unknown, depth = 0): string {
  if (depth > 32) {
    throw new TypeError('axios-rebound: with idempotencyKey, an item key is nested more than 32 deep (a cycle?)');
  }
  switch (typeof key) {
    case 'string':
      return `s${key.length}:${key}`;
    case 'number':
      if (Number.isFinite(key)) return `n${String(key)};`;
      break;
    case 'boolean':
      return key ? 't' : 'f';
    case 'bigint':
      return `b${String(key)};`;
    case 'object': {
      if (key === null) return 'z';
      if (Array.isArray(key)) return `a${key.length}[${key.map((v) => serialize(v, depth + 1)).join('')}]`;
      const proto: unknown = Object.getPrototypeOf(key);
      if (proto !== Object.prototype && proto !== null) break;
      const entries = Object.entries(key).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `o${entries.length}{${entries.map(([k, v]) => serialize(k) + serialize(v, depth + 1)).join('')}}`;
    }
  }
  throw refuse(key, 'not a string, finite number, boolean, bigint, null, or an array or plain object of those');
}

function refuse(key: unknown, why: string): TypeError {
  return new TypeError(`axios-rebound: with idempotencyKey, an item key must have one text: ${shown(key)} is ${why}`);
}

/** murmur3's 32-bit mixing over the UTF-16 code units of `text`. */
function hash32(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0xcc9e2d51);
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593);
  }
  h ^= text.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
