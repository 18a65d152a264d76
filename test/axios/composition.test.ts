import type { AxiosResponse } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { ORIGIN, outcome } from '../helpers.js';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, unknown>;
  body: string;
}

/** Scripts `statuses` in order for `method` on any path, recording each request as the server saw it. */
function script(statuses: number[], method = 'GET'): Seen[] {
  const seen: Seen[] = [];
  for (const status of statuses) {
    nock(ORIGIN)
      .intercept(/.*/, method)
      .reply(function (path, body) {
        seen.push({
          method: this.req.method,
          path,
          headers: { ...this.req.headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        return [status, { status }];
      });
  }
  return seen;
}

describe('composition with axios and other interceptors', () => {
  it('sends headers, params, baseURL and the JSON body identically on every attempt, serialized once', async () => {
    const api = axios.create({ baseURL: `${ORIGIN}/v1`, headers: { common: { 'X-Team': 'ml' } } });
    attachRetry(api, { baseDelay: 0, idempotencyKey: true });
    const seen = script([503, 502, 200], 'POST');
    await api.post(
      'jobs',
      { model: 'small', tags: ['a', 'b'] },
      { params: { q: 'x y', n: 2 }, headers: { Authorization: 'Bearer t', 'X-Request-ID': 'req-1' } },
    );
    expect(seen).to.have.length(3);
    const [first, ...rest] = seen;
    expect(first?.path).to.equal('/v1/jobs?q=x+y&n=2');
    expect(JSON.parse(first?.body ?? '')).to.deep.equal({ model: 'small', tags: ['a', 'b'] });
    for (const later of rest) {
      expect(later.method).to.equal('POST');
      expect(later.path).to.equal(first?.path);
      expect(later.body).to.equal(first?.body);
      expect(later.headers).to.deep.equal(first?.headers);
    }
    expect(first?.headers).to.include({
      'x-team': 'ml',
      authorization: 'Bearer t',
      'content-type': 'application/json',
    });
  });

  it('runs the user’s request interceptors again on each attempt, so a refreshed token is used', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    let token = 0;
    api.interceptors.request.use((config) => {
      token += 1;
      config.headers.set('Authorization', `Bearer ${token}`);
      return config;
    });
    attachRetry(api, { baseDelay: 0 });
    const seen = script([503, 503, 200]);
    await api.get('/x');
    expect(seen.map((s) => s.headers.authorization)).to.deep.equal(['Bearer 1', 'Bearer 2', 'Bearer 3']);
  });

  it('shows a success handler added after attachRetry the final response exactly once', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    attachRetry(api, { baseDelay: 0 });
    const calls: number[] = [];
    // The classic trap: an unwrapping interceptor breaks if it runs twice on the same response.
    api.interceptors.response.use((response: AxiosResponse) => {
      calls.push(response.status);
      return response.data as AxiosResponse;
    });
    script([503, 503, 200]);
    const data: unknown = await api.get('/x');
    expect(data).to.deep.equal({ status: 200 });
    expect(calls).to.deep.equal([200]);
  });

  it('shows a handler added before attachRetry each attempt once: failures as errors, the success once', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    const successes: number[] = [];
    const errors: unknown[] = [];
    api.interceptors.response.use(
      (response) => {
        successes.push(response.status);
        return response;
      },
      (error: { response?: { status: number } }) => {
        errors.push(error.response?.status);
        throw error;
      },
    );
    attachRetry(api, { baseDelay: 0 });
    script([503, 502, 200]);
    await api.get('/x');
    expect(successes).to.deep.equal([200]);
    expect(errors).to.deep.equal([503, 502]);
  });

  it('shows an error handler added after attachRetry only the final error, once', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    attachRetry(api, { baseDelay: 0, retries: 2 });
    const errors: unknown[] = [];
    api.interceptors.response.use(undefined, (error: unknown) => {
      errors.push(getRetryState(error)?.stopReason);
      throw error;
    });
    script([503, 503, 503]);
    const { error } = await outcome(api.get('/x'));
    expect(errors).to.deep.equal(['retries-exhausted']);
    expect(getRetryState(error)?.attempt).to.equal(3);
  });

  it('lets a request interceptor that throws on a replay end the call with its error, unretried', async () => {
    const api = axios.create({ baseURL: ORIGIN });
    let calls = 0;
    api.interceptors.request.use((config) => {
      calls += 1;
      if (calls === 2) throw new Error('token refresh failed');
      return config;
    });
    attachRetry(api, { baseDelay: 0 });
    const seen = script([503, 200]);
    const { error } = await outcome(api.get('/x'));
    expect((error as Error).message).to.equal('token refresh failed');
    expect(seen).to.have.length(1);
  });

  it('at retries: 0 sends a request exactly as bare axios does: its body, signal and adapter untouched', async () => {
    const seen: string[] = [];
    const capture = (headers: Record<string, unknown>) => seen.push(String(headers['content-type']));
    const bare = axios.create({ baseURL: ORIGIN });
    const attached = axios.create({ baseURL: ORIGIN });
    attachRetry(attached, { retries: 0 });
    const controller = new AbortController();
    for (const api of [bare, attached]) {
      nock(ORIGIN)
        .post('/form')
        .reply(function () {
          capture(this.req.headers);
          return [200, 'ok'];
        });
      const form = new FormData();
      form.append('a', '1');
      const response = await api.post('/form', form, { signal: controller.signal });
      expect(response.config.signal).to.equal(controller.signal);
      expect(response.config.adapter).to.deep.equal(bare.defaults.adapter);
    }
    // axios names its own boundary; a policy that may replay would pin one of its own instead.
    expect(seen[0]).to.match(/boundary=axios-/);
    expect(seen[1]?.replace(/boundary=.*/, '')).to.equal(seen[0]?.replace(/boundary=.*/, ''));
    expect(seen[1]).to.match(/boundary=axios-\d/);
  });

  it('works on the default axios export too', async () => {
    const handle = attachRetry(axios, { baseDelay: 0 });
    try {
      script([503, 200]);
      expect((await axios.get(`${ORIGIN}/x`)).status).to.equal(200);
    } finally {
      handle.detach();
    }
  });
});
