import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
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

  describe('axios-rebound/otel', () => {
    /** `@opentelemetry/api`, the optional peer dependency, installed for `body` only. */
    const withOtelApi = (body: () => void) => {
      const api = join(project, 'node_modules', '@opentelemetry', 'api');
      mkdirSync(join(project, 'node_modules', '@opentelemetry'), { recursive: true });
      symlinkSync(join(root, 'node_modules', '@opentelemetry', 'api'), api);
      try {
        body();
      } finally {
        unlinkSync(api);
      }
    };

    it('is not needed by the main entry: it runs without @opentelemetry/api installed and never loads it', () => {
      writeFileSync(
        join(project, 'no-otel.mjs'),
        "import { attachRetry } from 'axios-rebound';\nimport axios from 'axios';\nattachRetry(axios.create());\n" +
          "console.log(await import('@opentelemetry/api').then(() => 'installed', () => 'absent'));\n",
      );
      expect(run('node', ['no-otel.mjs'], project).trim()).to.equal('absent');
      writeFileSync(
        join(project, 'no-otel.cjs'),
        "require('axios-rebound').attachRetry(require('axios').create());\n" +
          "console.log(Object.keys(require.cache).filter((path) => path.includes('opentelemetry')).length);\n",
      );
      withOtelApi(() => expect(run('node', ['no-otel.cjs'], project).trim()).to.equal('0'));
    });

    const use = (load: string) =>
      `${load}\nconst api = axios.create();\nconst handle = attachRetryWithTelemetry(api, { retries: 1 });\n` +
      'console.log(typeof api.defaults.adapter, JSON.stringify(httpInstrumentationHooks.startOutgoingSpanHook()));\n' +
      'handle.detach();\n';

    it('works with import and require', () => {
      writeFileSync(
        join(project, 'otel.mjs'),
        use(
          "import axios from 'axios';\nimport { attachRetryWithTelemetry, httpInstrumentationHooks } from 'axios-rebound/otel';",
        ),
      );
      writeFileSync(
        join(project, 'otel.cjs'),
        use(
          "const axios = require('axios');\nconst { attachRetryWithTelemetry, httpInstrumentationHooks } = require('axios-rebound/otel');",
        ),
      );
      withOtelApi(() => {
        expect(run('node', ['otel.mjs'], project).trim()).to.equal('function {}');
        expect(run('node', ['otel.cjs'], project).trim()).to.equal('function {}');
      });
    });

    it('is typed under moduleResolution node16 and bundler', () => {
      const typed =
        "import axios from 'axios';\nimport type { TelemetryOptions } from 'axios-rebound/otel';\n" +
        "import { attachRetryWithTelemetry, undiciInstrumentationHooks } from 'axios-rebound/otel';\n" +
        'export const handle = attachRetryWithTelemetry(axios.create(), { retries: 2 }, {} satisfies Partial<TelemetryOptions>);\n' +
        'export const hook: (request: { origin: string }) => object = undiciInstrumentationHooks.startSpanHook;\n';
      writeFileSync(join(project, 'otel-use.mts'), typed);
      writeFileSync(join(project, 'otel-use.ts'), typed);
      withOtelApi(() => {
        expect(() =>
          typeCheck('otel-node16', { module: 'node16', moduleResolution: 'node16' }, ['otel-use.mts']),
        ).not.to.throw();
        expect(() =>
          typeCheck('otel-bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['otel-use.ts']),
        ).not.to.throw();
      });
    });
  });

  describe('axios-rebound/testing', () => {
    /**
     * A call that fails 4 times over (faultyAdapter) and would wait 20 + 40 + 80 s between its
     * attempts: it ends at once only if test mode reaches the copy of the library that runs it.
     */
    const use = (load: string) =>
      `${load}\nconst undo = useTestMode({ delays: 'skip' });\n` +
      "const ok = async (config) => ({ data: 'ok', status: 200, statusText: 'OK', headers: {}, config });\n" +
      'const adapter = faultyAdapter(ok, { rate: 1, statuses: [503], seed: 1 });\n' +
      'const api = axios.create({ adapter });\n' +
      "attachRetry(api, { baseDelay: 20000, maxDelay: 80000, jitter: 'none', budget: false });\n" +
      'api.get("/x").catch((error) => {\n  undo();\n  const state = getRetryState(error);\n' +
      "  console.log(state.attempt, state.stopReason, state.history.map((r) => r.delayMs ?? '-').join(','), adapter.injected.length);\n});\n";
    const expected = '4 retries-exhausted 20000,40000,80000,- 4';

    it('works with import and require', () => {
      writeFileSync(
        join(project, 'testing.mjs'),
        use(
          "import axios from 'axios';\nimport { attachRetry, getRetryState } from 'axios-rebound';\n" +
            "import { faultyAdapter, useTestMode } from 'axios-rebound/testing';",
        ),
      );
      writeFileSync(
        join(project, 'testing.cjs'),
        use(
          "const axios = require('axios');\nconst { attachRetry, getRetryState } = require('axios-rebound');\n" +
            "const { faultyAdapter, useTestMode } = require('axios-rebound/testing');",
        ),
      );
      expect(run('node', ['testing.mjs'], project).trim()).to.equal(expected);
      expect(run('node', ['testing.cjs'], project).trim()).to.equal(expected);
    });

    it('reaches the other copy when the ESM and the CommonJS builds are both loaded', () => {
      // Test mode from the ESM build, the library from the CommonJS one...
      writeFileSync(
        join(project, 'dual.mjs'),
        use(
          "import axios from 'axios';\nimport { createRequire } from 'node:module';\n" +
            "const { attachRetry, getRetryState } = createRequire(import.meta.url)('axios-rebound');\n" +
            "import { faultyAdapter, useTestMode } from 'axios-rebound/testing';",
        ),
      );
      // ...and the other way round.
      writeFileSync(
        join(project, 'dual.cjs'),
        `import('axios-rebound').then(({ attachRetry, getRetryState }) => {\n${use(
          "const axios = require('axios');\nconst { faultyAdapter, useTestMode } = require('axios-rebound/testing');",
        )}});\n`,
      );
      expect(run('node', ['dual.mjs'], project).trim()).to.equal(expected);
      expect(run('node', ['dual.cjs'], project).trim()).to.equal(expected);
    });

    it('is typed under moduleResolution node16 and bundler', () => {
      const typed =
        "import axios from 'axios';\nimport type { FaultOptions, FaultyAdapter, TestModeOptions } from 'axios-rebound/testing';\n" +
        "import { faultyAdapter, useTestMode } from 'axios-rebound/testing';\n" +
        'const api = axios.create();\n' +
        "export const undo: () => void = useTestMode({ delays: 'skip', instance: api } satisfies Partial<TestModeOptions>);\n" +
        "const options = { rate: 0.5, statuses: [503], codes: ['ECONNRESET'], latencyMs: [0, 5], seed: 7 } satisfies Partial<FaultOptions>;\n" +
        'export const adapter: FaultyAdapter = faultyAdapter(undefined, options);\n' +
        'export const seed: number = adapter.seed;\napi.defaults.adapter = adapter;\n';
      writeFileSync(join(project, 'testing-use.mts'), typed);
      writeFileSync(join(project, 'testing-use.cts'), typed);
      writeFileSync(join(project, 'testing-use.ts'), typed);
      expect(() =>
        typeCheck('testing-node16', { module: 'node16', moduleResolution: 'node16' }, [
          'testing-use.mts',
          'testing-use.cts',
        ]),
      ).not.to.throw();
      expect(() =>
        typeCheck('testing-bundler', { module: 'esnext', moduleResolution: 'bundler' }, ['testing-use.ts']),
      ).not.to.throw();
    });
  });
});
