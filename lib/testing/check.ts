/*
 * Option checks of the testing entry, in the messages of the main entry's (lib/decide/validate.ts):
 * a TypeError that names the option and says what it must be.
 */

/** `axios-rebound: <owner> option "<name>" must be <expected>, got <value>`. */
export function problem(owner: string, name: string, expected: string, value: unknown): TypeError {
  let shown: string;
  try {
    shown = typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = String(value);
  }
  return new TypeError(`axios-rebound: ${owner} option "${name}" must be ${expected}, got ${shown}`);
}

/** Throws for the first own key of `given` that is not one of `names`. */
export function known(owner: string, given: object, names: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!names.includes(key)) {
      throw new TypeError(`axios-rebound: unknown ${owner} option "${key}" (known: ${names.join(', ')})`);
    }
  }
}
