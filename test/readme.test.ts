import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('..', import.meta.url));
const library = join(root, 'lib/index.ts');

/**
 * The README's examples, run as written: each block after an `<!-- example: name -->` marker,
 * with `axios-rebound` resolved to lib/, after a prelude that stands in for what the example
 * takes from its reader (an SDK, a queue, the documents; nock for the example's hosts) and
 * before a check of what it claims.
 */
const harness: Record<string, { prelude: string; check: string }> = {
  'quick-start': {
    prelude: `
      import nock from 'nock';
      nock.disableNetConnect();
      nock('https://models.internal')
        .get('/model').times(2).reply(200, { model: 'm' })
        .post('/pay').reply(201)
        .get('/health').reply(200)
        .get('/flaky').times(5).reply(503);
      const body = { amount: 5 };`,
    check: `if (!nock.isDone()) throw new Error('not every request was sent: ' + nock.pendingMocks());`,
  },
  retry: {
    prelude: `
      let sends = 0;
      const queue = { send: async (_m: unknown, _o: { signal: AbortSignal }) => {
        if (++sends < 2) throw Object.assign(new Error('queue busy'), { code: 'EBUSY' });
        return { id: 'm-1' };
      } };
      const message = { body: 'hi' };
      const sdk = { embed: async (text: string) => {
        if (!text) throw new Error('empty input');
        return [0.1, 0.2];
      } };`,
    check: `if (sent.id !== 'm-1' || sends !== 2) throw new Error('retry did not retry the queue');
      if (embed.stats().successes !== 1) throw new Error('withRetry did not count its call');`,
  },
  retryBatch: {
    prelude: `
      import axios from 'axios';
      import nock from 'nock';
      import { attachRetry } from 'axios-rebound';
      nock.disableNetConnect();
      const sent = new Map<string, number>();
      nock('https://models.internal').persist().post('/embed').reply((_uri, doc) => {
        const { id } = doc as { id: string };
        sent.set(id, (sent.get(id) ?? 0) + 1);
        // A third of the items fail their first attempt.
        return Number(id.slice(4)) % 3 === 0 && sent.get(id) === 1 ? [503] : [200, { id, vector: [1] }];
      });
      const api = axios.create({ baseURL: 'https://models.internal' });
      attachRetry(api, { retries: 4, baseDelay: 200, attemptTimeout: 5_000, deadline: 20_000 });
      const documents = Array.from({ length: 20 }, (_, i) => ({ id: 'doc-' + i, text: 'text ' + i }));
      const shutdown = new AbortController();
      const bar = { update: (_fraction: number) => {} };`,
    check: `if (report.succeeded.size !== 20) throw new Error(report.failed.size + ' items failed');
      if ([...sent.values()].reduce((a, b) => a + b) !== 27) throw new Error('unexpected load: ' + [...sent.values()]);
      nock.cleanAll();`,
  },
  explainPolicy: {
    prelude: '',
    check: `if (plan.attempts.length !== 3 || plan.totalMs.worst !== 800) throw new Error(JSON.stringify(plan.totalMs));`,
  },
};

function examples(): Map<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const found = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    const [, name, code] = match;
    if (name && code) found.set(name, code);
  }
  return found;
}

function run(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code as number | null) : 0, output: stdout + stderr }),
    );
  });
}

describe("the README's examples, run as written", function () {
  this.timeout(90_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'axios-rebound-readme-'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('marks an example for each entry point, and only ones the harness knows', () => {
    expect([...examples().keys()].sort()).to.deep.equal(Object.keys(harness).sort());
  });

  for (const [name, { prelude, check }] of Object.entries(harness)) {
    it(`runs the ${name} example`, async () => {
      const code = examples().get(name);
      expect(code, `README has no example "${name}"`).to.be.a('string');
      const source = `${prelude}\n${code ?? ''}\n${check}\n`.replaceAll("'axios-rebound'", JSON.stringify(library));
      const file = join(dir, `${name}.mts`);
      writeFileSync(file, source);
      const { code: exit, output } = await run(file);
      expect(exit, output).to.equal(0);
    });
  }
});
