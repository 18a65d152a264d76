import axios from 'axios';
import { expect } from 'chai';
import type sinon from 'sinon';
import { CircuitOpenError, retry, retryBatch, withRetry } from '../../lib/index.js';
import { drive, fakeClock } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/**
 * retryBatch with its defaults (only baseDelay made small, to keep the run short) against a
 * real server on 127.0.0.1, over a bare axios instance: the batch is the only retrying layer.
 */
describe('retryBatch defaults that fit a batch, against a real server on 127.0.0.1', function () {
  this.timeout(20_000);
  let server: TestServer | undefined;
  const seen = new Map<string, number>();

  /** The server answers each item with `answer(n)`, `n` the item's 1-based request number. */
  const start = async (answer: (n: number) => number) => {
    seen.clear();
    server = await startServer((_n, req, res) => {
      const id = req.url?.split('/').pop() ?? '';
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const status = answer(n);
      setTimeout(() => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id })), 1);
    });
    return axios.create({ baseURL: server.url });
  };
  const requests = () => [...seen.values()].reduce((a, b) => a + b, 0);

  const batch = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });

  batch('completes every item of 12 GETs that each fail twice before they succeed', async () => {
    const api = await start((n) => (n <= 2 ? 503 : 200));
    const report = await retryBatch(
      Array.from({ length: 12 }, (_, i) => `item-${i}`),
      async (id) => (await api.get(`/embed/${id}`)).data,
      { baseDelay: 1 },
    );
    const lost = [...report.failed.values()].map(({ state }) => state?.stopReason);
    expect(lost).to.deep.equal([]);
    expect(report.succeeded.size).to.equal(12);
    expect(requests()).to.equal(36);
  });

  batch(
    'puts at most (5 + 8) × 4 requests on a dependency that is down, and fails the items left fast with circuit-open',
    async () => {
      const api = await start(() => 503);
      const report = await retryBatch(
        Array.from({ length: 200 }, (_, i) => `item-${i}`),
        async (id) => (await api.get(`/embed/${id}`)).data,
        { baseDelay: 1, concurrency: 8 },
      );
      expect(report.failed.size).to.equal(200);
      expect(requests()).to.be.at.most((5 + 8) * 4);
      const refused = [...report.failed].filter(([id]) => !seen.has(String(id)));
      expect(refused.length).to.be.at.least(200 - (5 + 8));
      for (const [, { error, state }] of refused) {
        expect(error).to.be.instanceOf(CircuitOpenError);
        expect(state?.stopReason).to.equal('circuit-open');
      }
    },
  );
});

describe('retryBatch idempotency keys, and the options of batches and calls (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());
  const settle = <T>(p: Promise<T>) => drive(clock, p, () => true);

  it('hands each retryBatch item a key derived from the batch name and its own key: stable across runs and orders, never showing the item key', async () => {
    const emails = ['ada@example.com', 'grace@example.com', 'alan@example.com'];
    const run = async (items: string[], name: string) => {
      const keys = new Map<string, (string | undefined)[]>();
      let attempts = 0;
      await settle(
        retryBatch(
          items,
          (email, { idempotencyKey }) => {
            keys.set(email, [...(keys.get(email) ?? []), idempotencyKey]);
            if (attempts++ % 2 === 0) throw new Error('flaky'); // some attempts fail, so items are retried
            return email;
          },
          { idempotencyKey: true, name, baseDelay: 1 },
        ),
      );
      return keys;
    };
    const first = await run(emails, 'embed-2026-12-01');
    const again = await run([...emails].reverse(), 'embed-2026-12-01');
    const other = await run(emails, 'embed-2026-12-02');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const email of emails) {
      const keys = first.get(email) ?? [];
      const key = keys[0] ?? '';
      expect(keys.length).to.be.at.least(1);
      expect(new Set(keys).size).to.equal(1);
      expect(key).to.match(uuid);
      expect(key).to.not.include(email);
      expect(again.get(email)?.[0]).to.equal(key);
      expect(other.get(email)?.[0]).to.not.equal(key);
    }
    expect([...first.values()].some((keys) => keys.length > 1)).to.equal(true);
    expect(new Set([...first.values()].map((keys) => keys[0])).size).to.equal(3);
  });

  it('rejects a retryBatch idempotencyKey without a name, and bad call and batch options, with a TypeError naming the option', async () => {
    const fn = async () => 1;
    const rejection = async (call: () => unknown): Promise<unknown> => {
      try {
        await call();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const cases: [string, () => unknown, RegExp][] = [
      ['idempotencyKey without name', () => retryBatch([1], fn, { idempotencyKey: true }), /"name"/],
      ['concurrency 1.5', () => retryBatch([1], fn, { concurrency: 1.5 }), /"concurrency"/],
      ['key as a string', () => retryBatch([1], fn, { key: 'id' as never }), /"key"/],
      ['onProgress as a number', () => retryBatch([1], fn, { onProgress: 1 as never }), /"onProgress"/],
      ['an empty batch name', () => retryBatch([1], fn, { name: '' }), /"name"/],
      ['a signal that is not one', () => retryBatch([1], fn, { signal: {} as never }), /"signal"/],
      ['an empty retry name', () => retry(fn, { name: '' }), /"name"/],
      ['a retry signal that is not one', () => retry(fn, { signal: 'stop' as never }), /"signal"/],
      ['a withRetry name that is a number', () => withRetry(fn, { name: 5 as never }), /"name"/],
      ['an unknown option', () => retryBatch([1], fn, { retires: 2 } as never), /did you mean "retries"/],
    ];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [what, call, message] of cases) {
      const error = await rejection(call);
      got[what] = error instanceof TypeError && message.test(error.message) ? 'TypeError' : String(error);
      want[what] = 'TypeError';
    }
    expect(got).to.deep.equal(want);
  });

  // Fails on HEAD (a gap in lib/, left failing on purpose): the suggestions come from the retry
  // policy's names only, so a misspelt call or batch option gets none.
  it('suggests the call or batch option a misspelt name is nearest to', async () => {
    const messages: string[] = [];
    const attempt = async (call: () => unknown) => {
      try {
        await call();
      } catch (error) {
        messages.push((error as Error).message);
      }
    };
    await attempt(() => retryBatch([1], async () => 1, { concurency: 2 } as never));
    await attempt(() => retry(() => 1, { nmae: 'embed' } as never));
    expect(messages).to.deep.equal([
      'axios-rebound: unknown option "concurency" (did you mean "concurrency"?)',
      'axios-rebound: unknown option "nmae" (did you mean "name"?)',
    ]);
  });
});
