import { expect } from 'chai';
import nock from 'nock';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { client, counted, ORIGIN, outcome } from '../helpers.js';

/** Scripts GET /x to answer `statuses` in order, noting the attempt header each request carried. */
function script(statuses: number[], header = 'x-retry-attempt') {
  const seen: (string | undefined)[] = [];
  for (const status of statuses) {
    nock(ORIGIN)
      .get('/x')
      .reply(function () {
        seen.push(this.req.headers[header] as string | undefined);
        return [status, ''];
      });
  }
  return seen;
}

describe('attemptHeader', () => {
  afterEach(() => nock.cleanAll());

  it('sends the attempt number on every retry and nothing on the first attempt', async () => {
    const seen = script([503, 503, 200]);
    const { api } = client({ attemptHeader: 'X-Retry-Attempt' });
    expect((await api.get('/x')).status).to.equal(200);
    expect(seen).to.deep.equal([undefined, '2', '3']);
  });

  it('is off by default', async () => {
    const seen = script([503, 200]);
    const { api } = client();
    await api.get('/x');
    expect(seen).to.deep.equal([undefined, undefined]);
  });

  it('can be set per request, on an instance without it', async () => {
    const seen = script([503, 200], 'x-try');
    const { api } = client();
    await api.get('/x', { retry: { attemptHeader: 'X-Try' } });
    expect(seen).to.deep.equal([undefined, '2']);
  });

  it('leaves it off the first attempt of a config re-sent from a call that retried', async () => {
    script([503, 503]);
    const { api } = client({ attemptHeader: 'X-Retry-Attempt', retries: 1 });
    const { error } = await outcome(api.get('/x'));
    expect(getRetryState(error)?.attempt).to.equal(2);
    const config = (error as { config: Parameters<typeof api.request>[0] }).config;
    // Once on the fast path, once on the tracked path (a per-request option).
    for (const again of [{ ...config }, { ...config, retry: { deadline: 10_000 } }]) {
      const seen = script([200]);
      await api.request(again);
      expect(seen, JSON.stringify(again.retry)).to.deep.equal([undefined]);
    }
  });

  it('works with a request interceptor that makes the headers a plain object, and leaves other header names alone', async () => {
    const seen = script([503, 200]);
    const { api, inFlight } = counted();
    attachRetry(api, { baseDelay: 0, jitter: 'none', attemptHeader: 'X-Retry-Attempt' });
    api.interceptors.request.use((config) => {
      config.headers = { ...config.headers, 'X-Retry-Attempt': 'stale', 'x-other': '1' } as never;
      return config;
    });
    expect((await api.get('/x')).status).to.equal(200);
    expect(seen).to.deep.equal([undefined, '2']);
    expect(inFlight()).to.equal(0);
    const mine = script([200], 'x-mine');
    await api.get('/x', { headers: { 'X-Mine': '7' }, retry: { attemptHeader: 'X-N' } });
    expect(mine).to.deep.equal(['7']);
  });

  it("never writes the header into the caller's config, so a config re-sent anywhere starts without it", async () => {
    script([503, 503, 200]);
    const { api } = client({ attemptHeader: 'X-Retry-Attempt' });
    const response = await api.get('/x');
    expect(response.config.headers.has('X-Retry-Attempt')).to.equal(false);
    const plain = counted().api;
    const seen = script([200]);
    await plain.request({ ...response.config, headers: { ...response.config.headers } });
    expect(seen).to.deep.equal([undefined]);
  });

  it('is refused unless a header name or false', () => {
    const { api } = counted();
    for (const bad of ['', 'X Retry', true, 2]) {
      expect(() => attachRetry(api, { attemptHeader: bad as never }), String(bad)).to.throw(
        TypeError,
        /option "attemptHeader" must be a header name or false/,
      );
    }
  });
});
