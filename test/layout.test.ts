import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const lib = fileURLToPath(new URL('../lib', import.meta.url));

/**
 * The layers, bottom up: a file may import from its own layer or a lower one, never a higher.
 * `otel` (the `axios-rebound/otel` entry) sits on top and sees only the public entry.
 * `testing` (the `axios-rebound/testing` entry) sits on top too, and sees only the public entry
 * and root-level files (the test-mode slot it shares with the library).
 */
const RANK: Record<string, number> = { '': 0, decide: 1, protect: 2, run: 3, axios: 4, fn: 4, otel: 5, testing: 5 };

/** Every lib file (relative to lib/) with the lib files it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        const imports = [...source.matchAll(/from '(\.[^']+)'/g)].map(([, spec]) =>
          relative(lib, normalize(join(dirname(path), (spec ?? '').replace(/\.js$/, '.ts')))),
        );
        graph.set(relative(lib, path), imports);
      }
    }
  };
  walk(lib);
  return graph;
}

const layerOf = (file: string) => dirname(file).replace(/^\.$/, '');

describe('the layout of lib/', () => {
  const graph = importGraph();

  it('puts every file in a known layer', () => {
    for (const file of graph.keys()) expect(RANK, file).to.have.property(layerOf(file));
  });

  it('lets dependencies point down the layers only (index.ts, the public entry, excepted)', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      if (file === 'index.ts') continue;
      for (const target of imports) {
        const from = layerOf(file);
        const to = layerOf(target);
        if (from !== to && (RANK[to] ?? 0) >= (RANK[from] ?? 0)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).to.deep.equal([]);
  });

  it('lets lib/otel/ import only the public entry (index.ts) and its own folder', () => {
    const beyond: string[] = [];
    for (const [file, imports] of graph) {
      if (layerOf(file) !== 'otel') continue;
      for (const target of imports) {
        if (target !== 'index.ts' && layerOf(target) !== 'otel') beyond.push(`${file} -> ${target}`);
      }
    }
    expect(beyond).to.deep.equal([]);
  });

  it('lets lib/testing/ import only the public entry (index.ts), root-level files and its own folder', () => {
    const beyond: string[] = [];
    for (const [file, imports] of graph) {
      if (layerOf(file) !== 'testing') continue;
      for (const target of imports) {
        if (!['testing', ''].includes(layerOf(target))) beyond.push(`${file} -> ${target}`);
      }
    }
    expect(beyond).to.deep.equal([]);
  });

  it('has no import cycle, so no two files import each other', () => {
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      if (done.has(file)) return;
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      done.add(file);
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).to.deep.equal([]);
  });
});
