import axios from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import { normalizeOptions } from '../../lib/decide/options.js';
import { attachRetry, DEFAULTS } from '../../lib/index.js';

describe('options', () => {
  afterEach(() => nock.cleanAll());

  it('defaults match the documented table', () => {
    expect(DEFAULTS).to.include({
      retries: 3,
      backoff: 'exponential',
      baseDelay: 200,
      factor: 2,
      maxDelay: 30_000,
      jitter: 'full',
      retryOnNetworkError: true,
      respectRetryAfter: true,
      maxRetryAfter: 60_000,
      idempotencyKey: false,
    });
    expect(DEFAULTS.statusCodes).to.deep.equal([408, 429, 500, 502, 503, 504]);
    expect(DEFAULTS.methods).to.deep.equal(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
    expect(Object.isFrozen(DEFAULTS)).to.equal(true);
  });

  it('merges given options over a base and freezes the result', () => {
    const base = normalizeOptions({ retries: 5, baseDelay: 50 });
    const merged = normalizeOptions({ retries: 1, methods: ['get', 'post'] }, base);
    expect(merged).to.include({ retries: 1, baseDelay: 50, maxDelay: 30_000 });
    expect(merged.methods).to.deep.equal(['GET', 'POST']);
    expect(Object.isFrozen(merged)).to.equal(true);
    expect(normalizeOptions(undefined, base)).to.equal(base);
  });

  it('normalizes idempotencyKey: true to the standard header and methods', () => {
    const { idempotencyKey } = normalizeOptions({ idempotencyKey: true });
    if (idempotencyKey === false) throw new Error('expected key options');
    expect(idempotencyKey).to.include({ header: 'Idempotency-Key' });
    expect(idempotencyKey.methods).to.deep.equal(['POST', 'PATCH']);
    expect(idempotencyKey.generate()).to.match(/^[0-9a-f-]{36}$/);
    const custom = normalizeOptions({ idempotencyKey: { header: 'X-Key', methods: ['put'], generate: () => 'k' } });
    expect(custom.idempotencyKey).to.deep.include({ header: 'X-Key', methods: ['PUT'] });
  });

  const invalid: [string, unknown][] = [
    ['retries', -1],
    ['retries', 1.5],
    ['retries', '3'],
    ['baseDelay', NaN],
    ['baseDelay', -10],
    ['factor', 0.5],
    ['maxDelay', Infinity],
    ['jitter', 'random'],
    ['backoff', 'fibonacci'],
    ['statusCodes', [503, 'x']],
    ['statusCodes', [[504, 500]]],
    ['methods', 'GET'],
    ['attemptTimeout', 0],
    ['deadline', -5],
    ['maxRetryAfter', NaN],
    ['respectRetryAfter', 'yes'],
    ['shouldRetry', true],
    ['onRetry', 'log'],
    ['onGiveUp', {}],
    ['logger', 'console'],
    ['idempotencyKey', 'yes'],
  ];
  for (const [name, value] of invalid) {
    it(`rejects ${name}: ${typeof value === 'number' ? String(value) : JSON.stringify(value)} with a TypeError naming it`, () => {
      expect(() => normalizeOptions({ [name]: value })).to.throw(TypeError, `"${name}"`);
    });
  }

  it('rejects maxDelay below baseDelay', () => {
    expect(() => normalizeOptions({ baseDelay: 500, maxDelay: 100 })).to.throw(
      TypeError,
      /"maxDelay" must be >= baseDelay/,
    );
  });

  it('rejects bad idempotency key settings by their full name', () => {
    expect(() => normalizeOptions({ idempotencyKey: { header: '' } })).to.throw(TypeError, /idempotencyKey\.header/);
    expect(() => normalizeOptions({ idempotencyKey: { generate: 'uuid' } })).to.throw(
      TypeError,
      /idempotencyKey\.generate/,
    );
    expect(() => normalizeOptions({ idempotencyKey: { heder: 'X' } })).to.throw(TypeError, /idempotencyKey/);
  });

  it('rejects an unknown option and suggests the one meant', () => {
    expect(() => normalizeOptions({ retires: 2 })).to.throw(
      TypeError,
      'unknown option "retires" (did you mean "retries"?)',
    );
    expect(() => normalizeOptions({ colour: 'red' })).to.throw(TypeError, /unknown option "colour"$/);
  });

  it('rejects inherited names such as __proto__ and constructor as unknown options', () => {
    expect(() => normalizeOptions(JSON.parse('{"__proto__": {}}'))).to.throw(TypeError, 'unknown option "__proto__"');
    expect(() => normalizeOptions({ constructor: 1 })).to.throw(TypeError, 'unknown option "constructor"');
  });

  it('rejects options that are not an object', () => {
    expect(() => normalizeOptions(5)).to.throw(TypeError, /options must be an object/);
    expect(() => normalizeOptions(null)).to.throw(TypeError, /options must be an object/);
  });

  it('attachRetry throws for bad instance options', () => {
    expect(() => attachRetry(axios.create(), { retries: -1 })).to.throw(TypeError, /"retries"/);
  });

  it('rejects a request with bad per-request options without sending it', async () => {
    const api = axios.create({ baseURL: 'http://api.test' });
    attachRetry(api);
    const scope = nock('http://api.test').get('/x').reply(200);
    const error = await api.get('/x', { retry: { jitter: 'wobbly' as 'full' } }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.match(/"jitter"/);
    expect(scope.isDone()).to.equal(false);
  });

  it('rejects a per-request retry that is neither options nor false', async () => {
    const api = axios.create({ baseURL: 'http://api.test' });
    attachRetry(api);
    const scope = nock('http://api.test').get('/x').reply(200);
    const error = await api.get('/x', { retry: true as unknown as false }).catch((e: unknown) => e);
    expect((error as Error).message).to.match(/retry must be an object/);
    expect(scope.isDone()).to.equal(false);
  });

  it('names a bad value for what it is, even one whose getters or conversions throw', () => {
    const thenThrows = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('then getter threw');
      },
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const cases: [unknown, string][] = [
      [thenThrows, 'got [object Object]'],
      [revoked.proxy, 'got object'],
      [Promise.resolve(3), 'got a Promise'],
      [new String('3'), 'got a String object (3)'],
      [Object(3n), 'got a BigInt object (3)'],
      [3n, 'got 3n'],
      [Number.NaN, 'got NaN'],
      [Array.from({ length: 1000 }, () => 1), `got [${'1,'.repeat(48)}...`],
    ];
    for (const [value, shown] of cases) {
      expect(() => normalizeOptions({ retries: value as number }), shown).to.throw(
        TypeError,
        `option "retries" must be an integer >= 0, ${shown}`,
      );
    }
  });
});
