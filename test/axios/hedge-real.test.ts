import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { expect } from 'chai';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { until } from '../helpers.js';

/**
 * A real server on 127.0.0.1 whose first request of each path hangs (for up to 5 s), as does
 * every request to /hang…, and whose later ones answer at once: the losing copy of a hedged GET must be aborted at once, and its
 * socket closed, not left to the server's timer.
 */
describe('hedged requests against a real server on 127.0.0.1', () => {
  let server: http.Server;
  let origin: string;
  const seen = new Map<string, number>();
  /** Per request: whether the server saw its connection close before it answered. */
  const closedEarly: boolean[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let agent: http.Agent;

  before(async () => {
    server = http.createServer((req, res) => {
      const n = (seen.get(req.url ?? '') ?? 0) + 1;
      seen.set(req.url ?? '', n);
      const index = closedEarly.push(false) - 1;
      res.on('close', () => {
        if (!res.writableEnded) closedEarly[index] = true;
      });
      const answer = () => res.end(JSON.stringify({ copy: n }));
      if (req.url === '/answered-then-busy') {
        // Answers at once, then holds the event loop past the client's hedge delay: the answer
        // waits unread in the client's socket while the hedge timer comes due.
        answer();
        const busyUntil = performance.now() + 60;
        while (performance.now() < busyUntil);
        return;
      }
      if (n > 1 && !req.url?.startsWith('/hang')) {
        answer();
        return;
      }
      const timer = setTimeout(answer, 5000);
      timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    agent = new http.Agent({ keepAlive: true });
  });

  afterEach(() => agent.destroy());

  after(async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('takes the hedge that answers and closes the slow copy at once, releasing its socket', async () => {
    const api = axios.create({ baseURL: origin, httpAgent: agent });
    const handle = attachRetry(api, { hedge: { delay: 30, maxExtraLoad: 1 } });
    const started = performance.now();
    const response = await api.get('/slow');
    expect(response.data).to.deep.equal({ copy: 2 });
    expect(performance.now() - started).to.be.below(2000);
    expect(getRetryState(response)?.history[0]).to.include({ attempt: 1, status: 200, hedges: 1, hedgeWon: true });
    // The server sees the first copy's connection close, unanswered, long before its 5 s.
    await until(() => closedEarly[0] === true, 2000);
    // No socket of the agent's is still in use, and the server holds at most the winner's
    // connection (kept alive): the loser's was destroyed.
    await until(() => Object.values(agent.sockets).flat().length === 0, 2000);
    const connections = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    expect(connections).to.be.at.most(1);
    expect(handle.stats()).to.deep.include({ requests: 1, attempts: 1, hedges: 1 });
  });

  it('sends no hedge when its timer fires late and the answer has already come, unread', async () => {
    const api = axios.create({ baseURL: origin, httpAgent: agent });
    const handle = attachRetry(api, { hedge: { delay: 10, maxExtraLoad: 1 } });
    const response = await api.get('/answered-then-busy');
    expect(response.data).to.deep.equal({ copy: 1 });
    expect(seen.get('/answered-then-busy')).to.equal(1);
    expect(getRetryState(response)?.history[0]).to.not.have.property('hedges');
    expect(handle.stats().hedges).to.equal(0);
  });

  it('releases every socket when the caller aborts while two copies are in flight', async () => {
    const api = axios.create({ baseURL: origin, httpAgent: agent });
    attachRetry(api, { hedge: { delay: 20, maxExtraLoad: 1 } });
    // Earns the extra-load cap a first attempt and takes the server's "first" of the path.
    await api.get('/warm');
    const before = closedEarly.length;
    const controller = new AbortController();
    const pending = api.get('/hang', { signal: controller.signal });
    // Both copies are on the server, unanswered.
    await until(() => closedEarly.length >= before + 2, 2000);
    controller.abort();
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(axios.isCancel(error)).to.equal(true);
    await until(() => closedEarly.slice(before).every(Boolean), 2000);
    await until(() => Object.values(agent.sockets).flat().length === 0, 2000);
  });
});
