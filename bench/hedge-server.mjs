// A child process for bench/hedge.ts: a server on 127.0.0.1 (ephemeral port) whose latency is
// drawn per request, by MODE:
//
//   bimodal    10 ms for 95 % of requests, 1 000 ms for 5 % (a search backend with a slow shard)
//   lognormal  median 10 ms, sigma 1 (p95 ≈ 52 ms, p99 ≈ 102 ms), capped at 2 000 ms
//   overload   every request 300 ms (the whole service is slow: hedging cannot help)
//
// A request whose client goes away (a hedge's loser, aborted) is not answered and its timer is
// cleared. Draws come from mulberry32 with a fixed seed, so every run sees the same sequence.
// Messages from the parent: { report: true } answers { counts: { received, answered, abandoned } };
// { exit: true }.
import http from 'node:http';
import { parseArgs } from 'node:util';
// The testing entry's generator (the parent forks this file with tsx).
import { mulberry32 } from '../lib/testing/random.ts';

const { values } = parseArgs({ options: { mode: { type: 'string' }, seed: { type: 'string' } } });
const mode = values.mode ?? 'bimodal';
if (!['bimodal', 'lognormal', 'overload'].includes(mode)) {
  console.error(`hedge-server: mode must be bimodal, lognormal or overload; got ${mode}`);
  process.exit(2);
}

const random = mulberry32(Number(values.seed ?? 15));

function latency() {
  if (mode === 'overload') return 300;
  if (mode === 'bimodal') return random() < 0.05 ? 1000 : 10;
  // Box-Muller: one standard normal from two uniforms.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(2000, 10 * Math.exp(z));
}

let received = 0;
let answered = 0;
let abandoned = 0;
const server = http.createServer((_req, res) => {
  received += 1;
  const timer = setTimeout(() => {
    answered += 1;
    res.end('ok');
  }, latency());
  res.on('close', () => {
    if (res.writableEnded) return;
    clearTimeout(timer);
    abandoned += 1;
  });
});
server.keepAliveTimeout = 60_000;

process.on('message', (message) => {
  if (message.report) process.send?.({ counts: { received, answered, abandoned } });
  if (message.exit) {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
