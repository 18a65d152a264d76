// npm run check:package: the checks a user's first five minutes depend on, on the packed
// package. publint (package.json and files), arethetypeswrong (types resolve for require,
// import and bundlers), and the size of the minified + gzipped ESM bundle, axios excluded,
// against the budgets in package.json ("bundleBudget").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
run('npx', ['--no-install', 'publint', '--strict']);
run('npx', ['--no-install', 'attw', '--pack', '.', '--format', 'table-flipped']);

const { bundleBudget } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entry = new URL('../dist/esm/index.js', import.meta.url).pathname;
/** Min + gzip bytes of a bundle of `contents` (an ES module importing the package), axios excluded. */
async function gzippedBundle(contents) {
  const result = await build({
    stdin: { contents, resolveDir: new URL('..', import.meta.url).pathname, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['axios'],
    write: false,
  });
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
}
// What users ship: attachRetry alone (with its default budget), the interceptor with budget and
// breaker (the package is side-effect free, so bundlers drop the rest), and everything.
const bundles = {
  attachRetry: `export { attachRetry } from ${JSON.stringify(entry)};`,
  interceptor: `export { attachRetry, RetryBudget, CircuitBreaker, getRetryState } from ${JSON.stringify(entry)};`,
  everything: `export * from ${JSON.stringify(entry)};`,
};
let over = false;
for (const [name, contents] of Object.entries(bundles)) {
  const bytes = await gzippedBundle(contents);
  const budget = Number(bundleBudget[name]);
  console.log(`bundle "${name}": ${bytes} B minified + gzipped (axios excluded); budget ${budget} B`);
  if (!(bytes <= budget)) {
    console.error(`bundle "${name}" is over its budget (package.json "bundleBudget.${name}")`);
    over = true;
  }
}
if (over) process.exit(1);
