import type { AxiosInstance } from 'axios';
import axios from 'axios';
import { expect } from 'chai';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, CircuitBreaker, CircuitOpenError, getRetryState } from '../../lib/index.js';
import { outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { startServer, withoutLeaks } from '../server.js';

const CALLERS = 50;
const OUTAGE_MS = 400;

interface Run {
  downHits: number;
  upHits: number;
  firstWave: { value?: unknown; error?: unknown }[];
  secondWaveOk: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * 50 concurrent callers against a real server that answers 503 for OUTAGE_MS and then
 * recovers; once it is up, a second wave of 50 callers. Counts what the server received.
 */
async function run(options: Partial<RetryOptions>): Promise<Run> {
  let downUntil = Infinity;
  let downHits = 0;
  let upHits = 0;
  let server: TestServer | undefined;
  try {
    server = await startServer((_n, _req, res) => {
      if (Date.now() < downUntil) {
        downHits += 1;
        res.writeHead(503).end();
      } else {
        upHits += 1;
        res.end('ok');
      }
    });
    const api: AxiosInstance = axios.create({ baseURL: server.url });
    attachRetry(api, { retries: 20, baseDelay: 10, maxDelay: 100, deadline: 5000, ...options });
    downUntil = Date.now() + OUTAGE_MS;
    const firstWave = await Promise.all(Array.from({ length: CALLERS }, () => outcome(api.get('/model'))));
    await pause(Math.max(0, downUntil - Date.now()));
    // Traffic resumes: a caller that meets the open circuit waits as long as it says.
    for (let i = 0; i < 20; i++) {
      const { error } = await outcome(api.get('/model'));
      if (!error) break;
      await pause(error instanceof CircuitOpenError ? error.retryAfterMs + 1 : 20);
    }
    const secondWave = await Promise.all(Array.from({ length: CALLERS }, () => outcome(api.get('/model'))));
    return { downHits, upHits, firstWave, secondWaveOk: secondWave.filter((r) => r.value).length };
  } finally {
    await server?.close();
  }
}

describe('an outage and recovery against a real server on 127.0.0.1', function () {
  this.timeout(30_000);

  it('with the breaker on, the server sees far fewer requests while down, every caller settles, and traffic resumes', () =>
    withoutLeaks(async () => {
      const bare = await run({ budget: false });
      const budgeted = await run({});
      const breaker = await run({
        circuitBreaker: new CircuitBreaker({ failureThreshold: 5, openMs: 100, maxOpenMs: 400 }),
      });

      for (const result of [bare, budgeted, breaker]) {
        expect(result.firstWave).to.have.length(CALLERS);
        for (const settled of result.firstWave) {
          // Settled with a value or a clear error that says why it stopped.
          if (settled.error) expect(getRetryState(settled.error)?.stopReason).to.be.a('string');
        }
        expect(result.secondWaveOk).to.equal(CALLERS);
      }
      // Without protection every caller rides out the outage by retrying it.
      expect(bare.firstWave.every((r) => r.value)).to.equal(true);
      // Bare callers retry through the outage (how often depends on the jitter and the machine's
      // load: 88 to 228 requests seen here); with the breaker on, the server sees the first wave
      // and a probe or two, then nothing until it is back.
      expect(breaker.downHits).to.be.at.most(CALLERS + 5);
      expect(bare.downHits).to.be.above(breaker.downHits + CALLERS / 2);
      // Callers stop at the open circuit (or, before it opens, at the budget's default floor).
      const reasons = new Set(breaker.firstWave.filter((r) => r.error).map((r) => getRetryState(r.error)?.stopReason));
      expect(reasons.has('circuit-open')).to.equal(true);
      expect([...reasons].every((r) => r === 'circuit-open' || r === 'budget')).to.equal(true);

      const figures = { bare, budgeted, breaker };
      console.log(
        `      outage figures (${CALLERS} callers, ${OUTAGE_MS} ms of 503): ` +
          Object.entries(figures)
            .map(
              ([name, r]) =>
                `${name}: ${r.downHits} requests while down, ${r.firstWave.filter((x) => x.value).length}/${CALLERS} first-wave successes`,
            )
            .join('; '),
      );
    }));
});
