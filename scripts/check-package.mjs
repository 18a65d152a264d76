// npm run check:package: the checks a user's first five minutes depend on, on the packed
// package. publint (package.json and files), arethetypeswrong (types resolve for require,
// import and bundlers), and the size of the minified + gzipped ESM bundle, axios excluded,
// against the budget in package.json ("bundleBudget").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
run('npx', ['--no-install', 'publint', '--strict']);
run('npx', ['--no-install', 'attw', '--pack', '.', '--format', 'table-flipped']);

const { bundleBudget } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const result = await build({
  entryPoints: [new URL('../dist/esm/index.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  external: ['axios'],
  write: false,
});
const bytes = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
const budget = Number(bundleBudget);
console.log(`bundle: ${bytes} B minified + gzipped (axios excluded); budget ${budget} B`);
if (!(bytes <= budget)) {
  console.error(`bundle size ${bytes} B is over the budget of ${budget} B (package.json "bundleBudget")`);
  process.exit(1);
}
