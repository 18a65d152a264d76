import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import type { Logger } from '../../lib/index.js';
import { attachRetry, getRetryState, RetryBudget } from '../../lib/index.js';
import { redact } from '../../lib/run/log.js';
import { client, ORIGIN, outcome, recordingLogger } from '../helpers.js';

/** Our observer warnings, from process 'warning' events (emitted on the next tick). */
const warned: Error[] = [];
const onWarning = (warning: Error & { code?: string }) => {
  if (warning.code === 'AXIOS_REBOUND_OBSERVER_FAILED') warned.push(warning);
};
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A logger whose `failing` methods throw and whose others record their lines. */
function breakingLogger(...failing: (keyof Logger)[]) {
  const logger = recordingLogger();
  for (const level of failing) {
    logger[level] = () => {
      throw new Error(`${level} sink down`);
    };
  }
  return logger;
}

describe('loggers are observers', () => {
  beforeEach(() => {
    warned.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => process.off('warning', onWarning));

  it('A logger whose info throws changes nothing: a retried call still resolves with its response.', async () => {
    const { api } = client({ logger: breakingLogger('info') });
    nock(ORIGIN).get('/x').reply(503).get('/x').reply(200, 'fine').get('/y').reply(503).get('/y').reply(200, 'fine');
    expect((await api.get('/x')).data).to.equal('fine');
    expect((await api.get('/y')).data).to.equal('fine');
    await tick();
    expect(warned).to.have.length(1);
    expect(warned[0]?.message).to.contain('logger.info threw (Error: info sink down)');
  });

  it('A logger whose warn throws changes nothing: the retry still happens.', async () => {
    const { api } = client({ logger: breakingLogger('warn') });
    nock(ORIGIN).get('/x').times(2).reply(503).get('/x').reply(200, 'fine');
    const response = await api.get('/x');
    expect(response.data).to.equal('fine');
    expect(getRetryState(response)?.attempt).to.equal(3);
    await tick();
    expect(warned).to.have.length(1);
  });

  it('A logger whose error throws changes nothing: the call rejects with the real AxiosError.', async () => {
    const { api } = client({ retries: 1, logger: breakingLogger('error') });
    nock(ORIGIN).get('/x').times(2).reply(503);
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(AxiosError);
    expect((error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(error)?.stopReason).to.equal('retries-exhausted');
    await tick();
    expect(warned).to.have.length(1);
  });

  it('A logger whose every method throws is reported once per method, whatever the number of calls.', async () => {
    const { api } = client({ retries: 1, logger: breakingLogger('info', 'warn', 'error') });
    for (let i = 0; i < 2; i++) {
      nock(ORIGIN).get('/ok').reply(503).get('/ok').reply(200).get('/down').times(2).reply(503);
      expect((await api.get('/ok')).status).to.equal(200);
      expect((await outcome(api.get('/down'))).error).to.be.instanceOf(AxiosError);
    }
    await tick();
    expect(warned.map((w) => w.message.match(/logger\.\w+/)?.[0]).sort()).to.deep.equal([
      'logger.error',
      'logger.info',
      'logger.warn',
    ]);
  });
});

describe('log lines', () => {
  const secrets = /user|pass|secret|SECRET|T0K/;

  it('Never show URL credentials nor query values, only the names of the parameters.', async () => {
    const logger = recordingLogger();
    const { api } = client({ retries: 1, logger });
    nock(ORIGIN).get('/x').query(true).times(2).reply(503);
    await outcome(api.get('http://user:pass@api.test/x?api_key=SECRET&token=T0K#frag'));
    const other = axios.create({ baseURL: 'http://user:secret@api.test/v1' });
    attachRetry(other, { baseDelay: 0, jitter: 'none', logger });
    nock(ORIGIN).get('/v1/pay').query(true).reply(503).get('/v1/pay').query(true).reply(200);
    await other.get('/pay?api_key=SECRET&token=T0K');
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'error', 'warn', 'info']);
    for (const { line } of logger.lines) {
      expect(line).to.not.match(secrets);
      expect(line).to.match(/ http:\/\/api\.test\/(x|v1\/pay)\?api_key=\*\*\*&token=\*\*\* attempt /);
    }
  });

  // axios takes a protocol-relative URL as absolute (a browser sends it as is).
  it('Never show the credentials of a protocol-relative URL either.', async () => {
    const logger = recordingLogger();
    const api = axios.create({
      baseURL: ORIGIN,
      adapter: (config) => {
        const response = { status: 503, statusText: '', headers: {}, config, data: '' };
        return Promise.reject(new AxiosError('unavailable', AxiosError.ERR_BAD_RESPONSE, config, {}, response));
      },
    });
    attachRetry(api, { retries: 1, baseDelay: 0, logger });
    await outcome(api.get('//user:pass@api.test/x?api_key=SECRET'));
    expect(logger.lines).to.have.length(2);
    for (const { line } of logger.lines) expect(line).to.not.match(secrets);
  });

  it('Say nothing of a failure that was never retried: the caller has it and decides.', async () => {
    const logger = recordingLogger();
    const { api } = client({ logger });
    nock(ORIGIN).get('/missing').reply(404).get('/bad').reply(400).post('/pay').reply(503);
    for (const call of [api.get('/missing'), api.get('/bad'), api.post('/pay', { amount: 1 })]) {
      expect(getRetryState((await outcome(call)).error)?.stopReason).to.equal('not-retryable');
    }
    expect(logger.lines).to.deep.equal([]);
  });

  it('Give one error line after retries, and only warnings when the budget refuses a first retry.', async () => {
    const logger = recordingLogger();
    const { api } = client({ retries: 1, logger });
    nock(ORIGIN).get('/x').times(2).reply(503);
    await outcome(api.get('/x'));
    expect(logger.lines.map((l) => l.level)).to.deep.equal(['warn', 'error']);
    expect(logger.lines[1]?.line).to.match(/attempt 2\/2 failed \(503 in \d+ms\); giving up \(retries-exhausted\)$/);

    logger.lines.length = 0;
    const refused = client({ logger, budget: new RetryBudget({ ratio: 0, minRetriesPerSecond: 0 }) });
    nock(ORIGIN).get('/y').reply(503);
    expect(getRetryState((await outcome(refused.api.get('/y'))).error)?.stopReason).to.equal('budget');
    expect(logger.lines.map((l) => l.level)).to.not.include('error');
    expect(
      logger.lines.some((l) => /attempt 1\/4 failed \(503 in \d+ms\); giving up \(budget\)$/.test(l.line)),
    ).to.equal(true);
  });
});

describe('redact', () => {
  it('drops credentials, query values, bare tokens and the fragment, keeping the query names', () => {
    expect(redact('https://user:p%40ss@api.test/x?SECRETTOKEN&api_key=K&page=2#frag')).to.equal(
      'https://api.test/x?***&api_key=***&page=***',
    );
    expect(redact('//user:pass@api.test/x')).to.equal('//api.test/x');
    expect(redact('/plain/path')).to.equal('/plain/path');
  });
});
