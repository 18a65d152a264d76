import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Outcome {
  /** The exit code; `null` when the demo was killed (the timeout) or died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run demo -- ...args` as users do, minus npm: a child process, bounded in time. */
function demo(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'examples/demo.ts', ...args],
      { cwd: ROOT, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A refusal: exit code 2, nothing on stdout, one `demo: ...` line on stderr and no stack frame. */
async function refused(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await demo(...args);
  expect(code, stderr).to.equal(2);
  expect(stdout).to.equal('');
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).to.have.length(1);
  expect(lines[0]).to.match(/^demo: /);
  expect(stderr).not.to.match(/^\s*at /m);
  return lines[0] ?? '';
}

describe('the demo (examples/demo.ts)', () => {
  describe('refuses in one line, with exit code 2', () => {
    it('an unknown flag, naming the flag it is nearest to', async () => {
      expect(await refused('--retires', '3')).to.equal(
        'demo: unknown flag --retires (did you mean --retries?); see --help',
      );
    });

    it('an option the library rejects, with the TypeError message naming the option', async () => {
      const line = await refused('--retries', '-1');
      expect(line).to.contain('axios-rebound: option "retries" must be an integer >= 0, got -1');
    });

    it('a flag of --explain in a run, and a flag of a run under --explain', async () => {
      expect(await refused('--p95', '800')).to.equal('demo: --p95 applies only with --explain');
      expect(await refused('--explain', '--retry-after', '1')).to.match(
        /^demo: --retry-after does not apply to --explain/,
      );
      expect(await refused('--explain', '--failures', '3')).to.match(/^demo: --failures does not apply to --explain/);
    });

    it('a value that is not a number, a missing value and a flag given twice', async () => {
      expect(await refused('--base-delay', 'soon')).to.equal('demo: --base-delay must be a number, got "soon"');
      expect(await refused('--retries')).to.equal('demo: --retries needs a value');
      expect(await refused('--retries', '1', '--retries', '2')).to.equal('demo: --retries is given twice');
    });
  });

  describe('--explain', () => {
    it("alone, explains the library's defaults: 4 attempts, the first and the default 3 retries", async () => {
      const { code, stdout, stderr } = await demo('--explain');
      expect(code, stderr).to.equal(0);
      expect(stdout).to.contain('retries=3 ');
      expect(stdout).to.contain("the library's defaults");
      expect(stdout).to.contain('4 attempts (the first and 3 retries)');
      expect(stdout).not.to.match(/^\s+5\s/m);
    });

    it('with policy flags, explains that policy', async () => {
      const { code, stdout } = await demo('--explain', '--retries', '1');
      expect(code).to.equal(0);
      expect(stdout).to.contain("--retries over the library's defaults");
      expect(stdout).to.contain('2 attempts (the first and 1 retry)');
    });
  });

  describe('a run', () => {
    it("labels the wait the server's Retry-After set, and counts in the singular", async () => {
      // The backoff (base 1 ms, full jitter) stays under 1 ms; Retry-After: 0.01 asks for 10 ms.
      const { code, stdout, stderr } = await demo(
        ...['--failures', '1', '--retries', '2', '--base-delay', '1', '--max-delay', '1', '--retry-after', '0.01'],
      );
      expect(code, stderr).to.equal(0);
      expect(stdout).to.match(/^\s+1\s+503\s.*set by the server \(Retry-After: 0\.01\)$/m);
      expect(stdout).to.match(/after 1 retry in \d+ ms; the server saw 2 requests/);
    });

    it('labels a backoff wait, and says "1 attempt" and "1 request" when it gives up at once', async () => {
      const retried = await demo('--failures', '1', '--retries', '1', '--base-delay', '1', '--max-delay', '1');
      expect(retried.stdout).to.match(/^\s+1\s+503\s.*, backoff$/m);
      const { code, stdout } = await demo('--failures', '1', '--retries', '0');
      expect(code).to.equal(0);
      expect(stdout).to.match(/gave up \(retries-exhausted\) after 1 attempt in \d+ ms; the server saw 1 request:/);
    });
  });
});
