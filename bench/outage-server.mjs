// A child process for bench/outage.ts: a server with limited capacity that is down (503) for a
// while and then recovers, counting what it receives in 100 ms buckets. Messages from the
// parent: { start: { outageAtMs, outageMs, capacityPerSecond } }, { report: true }, { exit: true }.
import http from 'node:http';

let startedAt = 0;
let plan = { outageAtMs: 0, outageMs: 0, capacityPerSecond: Infinity };
let buckets = [];
let seen = new Set();
let outage = { requests: 0, firstAttempts: 0 };
let tokens = 0;
let refilledAt = 0;

const server = http.createServer((req, res) => {
  const now = Date.now();
  const t = now - startedAt;
  const bucket = Math.floor(t / 100);
  buckets[bucket] = (buckets[bucket] ?? 0) + 1;
  const call = req.headers['x-call-id'];
  const first = !seen.has(call);
  if (first) seen.add(call);
  const down = t >= plan.outageAtMs && t < plan.outageAtMs + plan.outageMs;
  if (down) {
    outage.requests += 1;
    if (first) outage.firstAttempts += 1;
  }
  // A token bucket of one second's capacity: past it, the server sheds load with 503.
  tokens = Math.min(plan.capacityPerSecond, tokens + ((now - refilledAt) * plan.capacityPerSecond) / 1000);
  refilledAt = now;
  if (down || tokens < 1) {
    res.writeHead(503).end();
    return;
  }
  tokens -= 1;
  res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
});
server.keepAliveTimeout = 60_000;

process.on('message', (message) => {
  if (message.start) {
    plan = message.start;
    startedAt = Date.now();
    refilledAt = startedAt;
    tokens = plan.capacityPerSecond;
    buckets = [];
    seen = new Set();
    outage = { requests: 0, firstAttempts: 0 };
  }
  if (message.report) {
    process.send?.({ report: { buckets: Array.from(buckets, (n) => n ?? 0), outage, calls: seen.size } });
  }
  if (message.exit) {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
