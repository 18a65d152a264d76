import { expect } from 'chai';
import { explainPolicy } from '../../lib/index.js';

describe('explainPolicy', () => {
  it('lays out the default schedule: 4 attempts, full-jitter waits of up to 200, 400, 800 ms', () => {
    const plan = explainPolicy({}, { attemptLatencyMs: 100 });
    expect(plan.attempts.map((a) => [a.attempt, a.wait.min, a.wait.median, a.wait.max])).to.deep.equal([
      [1, 0, 0, 0],
      [2, 0, 100, 200],
      [3, 0, 200, 400],
      [4, 0, 400, 800],
    ]);
    expect(plan.totalMs).to.deep.equal({ median: 100 * 4 + 700, worst: 100 * 4 + 1400 });
    expect(plan.warnings).to.deep.equal([]);
  });

  it('caps each attempt at attemptTimeout and at what the deadline leaves, and drops what cannot fit', () => {
    const plan = explainPolicy({ attemptTimeout: 300, deadline: 800, retries: 3, baseDelay: 50, jitter: 'none' });
    expect(plan.attempts.map((a) => [a.attempt, a.startsAt.latest, a.timeoutMs])).to.deep.equal([
      [1, 0, 300],
      [2, 350, 300],
      [3, 750, 50],
    ]);
    expect(plan.totalMs.worst).to.equal(800);
    expect(plan.warnings[0]).to.match(/attempt 4 and later cannot start before the 800 ms deadline.*at most 3 fit/);
  });

  it('warns when the worst case cannot meet a p95 SLA, and says how to hold it', () => {
    const plan = explainPolicy({ attemptTimeout: 500, retries: 2 }, { sla: { p95Ms: 800 } });
    expect(plan.warnings).to.have.length(1);
    expect(plan.warnings[0]).to.match(/exceeds the p95 SLA of 800 ms: set deadline: 800 to hold it; 1 attempt fit/);
  });

  it('warns when nothing bounds an attempt', () => {
    expect(explainPolicy({}).warnings).to.include(
      'nothing bounds an attempt: set attemptTimeout or deadline, or give attemptLatencyMs',
    );
  });

  it('grows decorrelated waits from the base, up to the cap', () => {
    const plan = explainPolicy(
      { jitter: 'decorrelated', baseDelay: 100, maxDelay: 1000, retries: 3 },
      { attemptLatencyMs: 0 },
    );
    expect(plan.attempts.map((a) => [a.wait.min, a.wait.max])).to.deep.equal([
      [0, 0],
      [100, 300],
      [100, 900],
      [100, 1000],
    ]);
  });

  it('validates options like attachRetry does', () => {
    expect(() => explainPolicy({ retires: 2 } as never)).to.throw(TypeError, /did you mean "retries"/);
  });
});
