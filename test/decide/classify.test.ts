import type { InternalAxiosRequestConfig } from 'axios';
import { AxiosError, AxiosHeaders } from 'axios';
import { expect } from 'chai';
import { isTransientFailure } from '../../lib/decide/classify.js';
import { normalizeOptions } from '../../lib/decide/options.js';
import { canceledError } from '../../lib/errors.js';
import { DEFAULTS, isRetryable } from '../../lib/index.js';

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
    expect(isRetryable(canceledError(undefined, config), DEFAULTS)).to.equal(false);
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

/** `cause` the way axios attaches it: a non-enumerable own property. */
function withCause<T extends object>(error: T, cause: unknown): T {
  Object.defineProperty(error, 'cause', { value: cause, writable: true, enumerable: false, configurable: true });
  return error;
}

/** Node's system error, as `getaddrinfo`, `connect` or undici raise it. */
const systemError = (code: string, message = code) => Object.assign(new Error(message), { code });

/** What axios's fetch adapter throws when `fetch` rejects with undici's `TypeError('fetch failed')`. */
const fetchFailed = (method: string, rootCause: unknown) =>
  withCause(new AxiosError('Network Error', 'ERR_NETWORK', failure(method).config, {}), rootCause);

describe('isRetryable by root cause', () => {
  it('does not retry a name that does not exist, however deep the fetch adapter nests it', () => {
    const notFound = systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND nowhere.test');
    expect(isRetryable(fetchFailed('get', notFound), DEFAULTS)).to.equal(false);
    const undiciError = new TypeError('fetch failed', { cause: notFound });
    expect(isRetryable(fetchFailed('get', undiciError), DEFAULTS)).to.equal(false);
    expect(isTransientFailure(fetchFailed('get', undiciError), DEFAULTS)).to.equal(false);
  });

  it('lets the root code decide, as the http adapter would have', () => {
    expect(isRetryable(fetchFailed('get', systemError('ECONNREFUSED')), DEFAULTS)).to.equal(true);
    expect(isRetryable(fetchFailed('get', systemError('UND_ERR_SOCKET', 'other side closed')), DEFAULTS)).to.equal(
      true,
    );
    expect(isRetryable(fetchFailed('get', systemError('DEPTH_ZERO_SELF_SIGNED_CERT')), DEFAULTS)).to.equal(false);
    expect(isRetryable(failure('get', undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT'), DEFAULTS)).to.equal(false);
  });

  it('retries a network error whose cause names no code: a browser hides it', () => {
    expect(isRetryable(fetchFailed('get', new TypeError('Failed to fetch')), DEFAULTS)).to.equal(true);
    expect(isRetryable(failure('get', undefined, 'ERR_NETWORK'), DEFAULTS)).to.equal(true);
  });

  it('retries a fetch body cut off mid-stream (undici’s "terminated"), with or without its cause', () => {
    const config = failure('get').config;
    const terminated = new TypeError('terminated', { cause: systemError('UND_ERR_SOCKET', 'other side closed') });
    expect(isRetryable(AxiosError.from(terminated, undefined, config), DEFAULTS)).to.equal(true);
    expect(isRetryable(AxiosError.from(new TypeError('terminated'), undefined, config), DEFAULTS)).to.equal(true);
    expect(isTransientFailure(AxiosError.from(terminated, undefined, config), DEFAULTS)).to.equal(true);
  });

  it('retries the other codes that mean the network, not the request, failed', () => {
    for (const code of [
      'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
      'ERR_SOCKET_CONNECTION_TIMEOUT',
      'ENETUNREACH',
      'EHOSTUNREACH',
      'ENETDOWN',
      'EHOSTDOWN',
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'ERR_HTTP2_SESSION_ERROR',
    ]) {
      expect(isRetryable(failure('get', undefined, code), DEFAULTS), code).to.equal(true);
      expect(isRetryable(fetchFailed('get', systemError(code)), DEFAULTS), `fetch ${code}`).to.equal(true);
    }
  });

  it('walks a cycle of causes, or one whose getters throw, without hanging or throwing', () => {
    const a = new Error('a');
    const b = withCause(new Error('b'), a);
    withCause(a, b);
    expect(isRetryable(fetchFailed('get', a), DEFAULTS)).to.equal(true);
    const hostile = Object.defineProperty({}, 'code', {
      get() {
        throw new TypeError('Illegal invocation');
      },
    });
    expect(isRetryable(fetchFailed('get', hostile), DEFAULTS)).to.equal(true);
  });

  it('retries a body cut off under axios 1.7.0, which misnamed it a maxContentLength of -1', () => {
    const cut = failure('get', undefined, 'ERR_BAD_RESPONSE');
    cut.message = 'maxContentLength size of -1 exceeded';
    expect(isRetryable(cut, DEFAULTS)).to.equal(true);
    const tooBig = failure('get', undefined, 'ERR_BAD_RESPONSE');
    tooBig.message = 'maxContentLength size of 1000 exceeded';
    expect(isRetryable(tooBig, DEFAULTS)).to.equal(false);
  });

  it('retries a reset that arrives with the response, as under gzip', () => {
    const { config, response } = failure('get', 200);
    const reset = AxiosError.from(systemError('ECONNRESET', 'aborted'), undefined, config, {}, response);
    expect(isRetryable(reset, DEFAULTS)).to.equal(true);
  });
});

describe('isRetryable over HTTP/2', () => {
  const streamError = (method: string, name: string) => {
    const error = systemError('ERR_HTTP2_STREAM_ERROR', `Stream closed with error code ${name}`);
    return AxiosError.from(error, undefined, failure(method).config, {});
  };

  it('retries a refused stream for any method, because the server never processed it', () => {
    for (const method of ['get', 'post', 'patch']) {
      expect(isRetryable(streamError(method, 'NGHTTP2_REFUSED_STREAM'), DEFAULTS), method).to.equal(true);
    }
    const off = normalizeOptions({ retryOnNetworkError: false });
    expect(isRetryable(streamError('post', 'NGHTTP2_REFUSED_STREAM'), off)).to.equal(false);
  });

  it('retries another stream reset only when the method is safe to repeat', () => {
    expect(isRetryable(streamError('get', 'NGHTTP2_INTERNAL_ERROR'), DEFAULTS)).to.equal(true);
    expect(isRetryable(streamError('post', 'NGHTTP2_INTERNAL_ERROR'), DEFAULTS)).to.equal(false);
  });

  it('does not retry a reset that says HTTP/2 itself will not do', () => {
    expect(isRetryable(streamError('get', 'NGHTTP2_HTTP_1_1_REQUIRED'), DEFAULTS)).to.equal(false);
    expect(isRetryable(streamError('get', 'NGHTTP2_INADEQUATE_SECURITY'), DEFAULTS)).to.equal(false);
  });
});
