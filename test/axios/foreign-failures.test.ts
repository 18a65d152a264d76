import axios, { CanceledError } from 'axios';
import { expect } from 'chai';
import { attachRetry, CircuitBreaker, getRetryState } from '../../lib/index.js';
import { outcome } from '../helpers.js';

/** Ejected or not: axios leaves `null` where an interceptor was. */
const live = (handlers: unknown) => (handlers as unknown[]).filter(Boolean).length;

describe('failures that carry no config of the call', () => {
  it('counts and tells a call whose adapter (ours owns its attempt) fails with a plain Error, a plain object or a string, and detach() ejects', async () => {
    for (const failure of [new Error('adapter down'), { message: 'x' }, 'str']) {
      const api = axios.create({
        baseURL: 'http://api.test',
        adapter: () => Promise.reject(failure),
      });
      // A deadline: the first attempt is run by axios-rebound's adapter.
      const handle = attachRetry(api, { deadline: 10_000 });
      const { error } = await outcome(api.get('/x'));
      expect(error).to.equal(failure);
      if (typeof failure === 'object') expect(getRetryState(failure)?.stopReason).to.equal('not-retryable');
      expect(handle.stats(), String(failure)).to.deep.include({ requests: 1, failures: 1 });
      handle.detach();
      expect(live(api.interceptors.response.handlers)).to.equal(0);
    }
  });

  it('counts a call whose key function throws what axios cannot look at (a revoked Proxy), and detach() ejects', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const key = () => {
      throw proxy;
    };
    const api = axios.create({ baseURL: 'http://api.test', adapter: () => Promise.reject(new Error('sent')) });
    const handle = attachRetry(api, { circuitBreaker: new CircuitBreaker({ key }) });
    // axios reads the error's __CANCEL__, which throws: its own TypeError replaces ours, and
    // leads back to no call.
    const { error } = await outcome(api.get('/x'));
    expect(error).to.be.instanceOf(TypeError);
    expect(handle.stats()).to.deep.include({ requests: 1, failures: 1, giveUps: { 'hook-error': 1 } });
    handle.detach();
    expect(live(api.interceptors.response.handlers)).to.equal(0);
  });

  it('leaves a call cancelled before it starts alone: nothing counted, nothing held at detach()', async () => {
    const source = axios.CancelToken.source();
    source.cancel('early');
    const controller = new AbortController();
    controller.abort();
    const api = axios.create({ baseURL: 'http://api.test', adapter: () => Promise.reject(new Error('sent')) });
    const handle = attachRetry(api);
    for (const config of [{ cancelToken: source.token }, { signal: controller.signal }]) {
      const { error } = await outcome(api.get('/x', config));
      expect(error).to.be.instanceOf(CanceledError);
    }
    expect(handle.stats()).to.deep.include({ requests: 0, failures: 0 });
    handle.detach();
    expect(live(api.interceptors.response.handlers)).to.equal(0);
  });
});
