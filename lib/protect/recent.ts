/**
 * A key's value in a map kept in least-recently-used order (a Map iterates in insertion order),
 * made by `make` if it has none, moved to the back; past `max` keys, the front ones (used
 * longest ago) are forgotten. What the protections keyed by origin or name use to stay bounded.
 */
export function touch<V>(map: Map<string, V>, key: string, make: () => V, max: number): V {
  const value = map.get(key) ?? make();
  map.delete(key);
  map.set(key, value);
  for (const oldest of map.keys()) {
    if (map.size <= max) break;
    map.delete(oldest);
  }
  return value;
}
