import type { InternalAxiosRequestConfig } from 'axios';
import { AxiosError, AxiosHeaders, CanceledError } from 'axios';
import { expect } from 'chai';
import { DEFAULTS, isRetryable } from '../lib/index.js';
import { normalizeOptions } from '../lib/options.js';

function failure(method: string, status?: number, code?: string, headers: Record<string, string> = {}): AxiosError {
  const config = { method, headers: new AxiosHeaders(headers) } as InternalAxiosRequestConfig;
  const response = status === undefined ? undefined : { status, statusText: '', headers: {}, config, data: undefined };
  return new AxiosError('failed', code, config, {}, response);
}

describe('isRetryable', () => {
  it('retries the default status codes on idempotent methods', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(isRetryable(failure('get', status), DEFAULTS), String(status)).to.equal(true);
    }
  });

  it('does not retry the caller’s mistakes or other statuses', () => {
    for (const status of [400, 401, 403, 404, 409, 422, 501, 505]) {
      expect(isRetryable(failure('get', status), DEFAULTS), String(status)).to.equal(false);
    }
  });

  it('accepts status ranges', () => {
    const options = normalizeOptions({ statusCodes: [[500, 599], 420] });
    expect(isRetryable(failure('get', 507), options)).to.equal(true);
    expect(isRetryable(failure('get', 420), options)).to.equal(true);
    expect(isRetryable(failure('get', 429), options)).to.equal(false);
  });

  it('retries every idempotent method but not POST or PATCH without a key', () => {
    for (const method of ['get', 'head', 'options', 'put', 'delete', 'trace']) {
      expect(isRetryable(failure(method, 503), DEFAULTS), method).to.equal(true);
    }
    expect(isRetryable(failure('post', 503), DEFAULTS)).to.equal(false);
    expect(isRetryable(failure('patch', 503), DEFAULTS)).to.equal(false);
  });

  it('retries POST that carries an idempotency key, under the configured header', () => {
    expect(isRetryable(failure('post', 503, undefined, { 'Idempotency-Key': 'k1' }), DEFAULTS)).to.equal(true);
    const custom = normalizeOptions({ idempotencyKey: { header: 'X-Key' } });
    expect(isRetryable(failure('post', 503, undefined, { 'X-Key': 'k1' }), custom)).to.equal(true);
    expect(isRetryable(failure('post', 503, undefined, { 'Idempotency-Key': 'k1' }), custom)).to.equal(false);
  });

  it('retries network failures and timeouts when allowed', () => {
    for (const code of [
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
      'EAI_AGAIN',
      'ECONNABORTED',
      'ERR_NETWORK',
    ]) {
      expect(isRetryable(failure('get', undefined, code), DEFAULTS), code).to.equal(true);
    }
    expect(isRetryable(new AxiosError('socket hang up', undefined, failure('get').config), DEFAULTS)).to.equal(true);
    const off = normalizeOptions({ retryOnNetworkError: false });
    expect(isRetryable(failure('get', undefined, 'ECONNRESET'), off)).to.equal(false);
  });

  it('never retries a cancel, a bad option or URL, a redirect loop, or a non-axios error', () => {
    for (const code of [
      'ERR_BAD_OPTION',
      'ERR_BAD_OPTION_VALUE',
      'ERR_INVALID_URL',
      'ERR_FR_TOO_MANY_REDIRECTS',
      'ENOTFOUND',
    ]) {
      expect(isRetryable(failure('get', undefined, code), DEFAULTS), code).to.equal(false);
    }
    const config = failure('get').config;
    expect(isRetryable(new CanceledError(undefined, config), DEFAULTS)).to.equal(false);
    expect(isRetryable(new TypeError('boom'), DEFAULTS)).to.equal(false);
    expect(isRetryable(undefined, DEFAULTS)).to.equal(false);
  });
});

describe('isRetryable on a truncated body', () => {
  it('retries a response whose body the peer cut off, as the network failure it is', () => {
    const cut = failure('get', 200, 'ERR_BAD_RESPONSE');
    cut.message = 'stream has been aborted';
    expect(isRetryable(cut, DEFAULTS)).to.equal(true);
    expect(isRetryable(cut, normalizeOptions({ retryOnNetworkError: false }))).to.equal(false);
  });

  it('does not retry other bad responses, such as unparsable JSON', () => {
    const bad = failure('get', 200, 'ERR_BAD_RESPONSE');
    bad.message = 'Unexpected end of JSON input';
    expect(isRetryable(bad, DEFAULTS)).to.equal(false);
  });
});
