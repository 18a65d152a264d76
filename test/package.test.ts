import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';

const root = resolve(import.meta.dirname, '..');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Packs the package as npm would publish it, installs the tarball into a scratch project
 * (axios linked from our own node_modules, so no network), and uses it from ESM, CommonJS
 * and TypeScript.
 */
describe('the published package', function () {
  this.timeout(120_000);
  let project = '';

  before(() => {
    project = mkdtempSync(join(tmpdir(), 'axios-rebound-consumer-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', project], root)) as {
      filename: string;
    }[];
    const tarball = join(project, packed[0]?.filename ?? '');
    const installed = join(project, 'node_modules', 'axios-rebound');
    mkdirSync(installed, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], project);
    symlinkSync(join(root, 'node_modules', 'axios'), join(project, 'node_modules', 'axios'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  });

  after(() => rmSync(project, { recursive: true, force: true }));

  it('ships only the built files', () => {
    const files = run('find', ['node_modules/axios-rebound', '-type', 'f'], project).split('\n').filter(Boolean);
    expect(
      files.every((f) => /\/(dist\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$)/.test(f)),
      files.join('\n'),
    ).to.equal(true);
    expect(files).to.include('node_modules/axios-rebound/dist/esm/index.js');
    expect(files).to.include('node_modules/axios-rebound/dist/cjs/index.js');
  });

  it('works with import', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      "import { attachRetry, nextDelay } from 'axios-rebound';\nimport axios from 'axios';\n" +
        'const h = attachRetry(axios.create());\n' +
        "console.log(typeof attachRetry, nextDelay({ attempt: 2 }, { ...h.options, jitter: 'none' }));\n",
    );
    expect(run('node', ['esm.mjs'], project).trim()).to.equal('function 400');
  });

  it('works with require', () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      "const { attachRetry, parseRetryAfter } = require('axios-rebound');\nconst axios = require('axios');\n" +
        "attachRetry(axios.create()).detach();\nconsole.log(typeof attachRetry, parseRetryAfter('2'));\n",
    );
    expect(run('node', ['cjs.cjs'], project).trim()).to.equal('function 2000');
  });

  const source =
    "import axios from 'axios';\nimport { attachRetry, getRetryState } from 'axios-rebound';\n" +
    "const api = axios.create();\nattachRetry(api, { retries: 2, jitter: 'equal' });\n" +
    "void api.get('/x', { retry: { retries: 1 } });\nvoid api.get('/x', { retry: false });\n" +
    'export const attempt: number | undefined = getRetryState({})?.attempt;\n';
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const typeCheck = (name: string, compilerOptions: object, files: string[]) => {
    writeFileSync(
      join(project, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], ...compilerOptions }, files }),
    );
    return run(tsc, ['-p', `tsconfig.${name}.json`], project);
  };

  it('types config.retry under moduleResolution node16, from ESM and CommonJS files', () => {
    writeFileSync(join(project, 'use.mts'), source);
    writeFileSync(join(project, 'use.cts'), source.replace('export const', 'const').concat('void attempt;\n'));
    expect(() =>
      typeCheck('node16', { module: 'node16', moduleResolution: 'node16' }, ['use.mts', 'use.cts']),
    ).not.to.throw();
  });

  it('types config.retry under moduleResolution bundler', () => {
    writeFileSync(join(project, 'use.ts'), source);
    expect(() => typeCheck('bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['use.ts'])).not.to.throw();
  });

  it('rejects a misspelt per-request option at type-check time', () => {
    writeFileSync(join(project, 'typo.ts'), source.concat("void axios.get('/x', { retry: { retires: 1 } });\n"));
    let output = '';
    try {
      typeCheck('typo', { module: 'esnext', moduleResolution: 'bundler' }, ['typo.ts']);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).to.match(/typo\.ts\(\d+,\d+\): error TS\d+: .*'retires'/);
  });
});
