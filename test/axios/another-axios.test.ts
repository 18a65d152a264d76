import type { AxiosInstance } from 'axios';
import axios17 from 'axios-1.7';
import { expect } from 'chai';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { faultyAdapter } from '../../lib/testing/index.js';
import type { TestServer } from '../server.js';
import { startServer } from '../server.js';

/**
 * An instance made by another copy of axios than ours (an application's axios 1.7.0 beside the
 * one axios-rebound resolved): our adapter runs that instance's retries with adapters from our
 * copy, whose AxiosHeaders the other copy's dispatchRequest cannot read. Real server on 127.0.0.1.
 */
/** 1.7.0's declarations lack members later ones added (`create`, `query`); the object has what we use. */
const asInstance = (api: unknown) => api as AxiosInstance;

describe('an instance of another copy of axios (1.7.0)', () => {
  let server: TestServer;
  /** The statuses the server answers with, in order; 200 after them. */
  let answers: [number, Record<string, string>][] = [];

  before(async () => {
    server = await startServer((n, _req, res) => {
      const [status, headers] = answers[n - 1 - served] ?? [200, { etag: '"v42"' }];
      res.writeHead(status, headers);
      res.end('{}');
    });
  });
  let served = 0;
  beforeEach(() => {
    served = server.hits();
  });
  after(() => server.close());

  it('hands the retried response on with its headers', async () => {
    answers = [[503, {}]];
    const api = axios17.create({ baseURL: server.url });
    attachRetry(asInstance(api), { baseDelay: 1, jitter: 'none' });
    const response = await api.get('/x');
    expect(response.status).to.equal(200);
    expect(getRetryState(response)?.attempt).to.equal(2);
    expect(response.headers.etag).to.equal('"v42"');
  });

  it('reads the headers of a retry’s failure: x-should-retry: false ends the call', async () => {
    answers = [
      [503, {}],
      [503, { 'x-should-retry': 'false' }],
    ];
    const api = axios17.create({ baseURL: server.url });
    attachRetry(asInstance(api), { baseDelay: 1, jitter: 'none' });
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(getRetryState(error)?.stopReason).to.equal('server-declined');
    expect(getRetryState(error)?.attempt).to.equal(2);
  });

  it('lets faultyAdapter’s Retry-After reach the decision', async () => {
    const api = axios17.create({ baseURL: server.url });
    // Every request fails with a 429 that says 90 s: more than maxRetryAfter (60 s).
    // (Given straight to 1.7.0's dispatchRequest: the first attempt takes the fast path.)
    api.defaults.adapter = faultyAdapter(undefined, { rate: 1, statuses: [429], retryAfter: 90 }) as never;
    attachRetry(asInstance(api));
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(getRetryState(error)?.stopReason).to.equal('retry-after-too-long');
    expect(getRetryState(error)?.attempt).to.equal(1);
  });
});
