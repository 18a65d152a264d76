// A child process for bench/ratelimit.ts: a rate limiter on 127.0.0.1 (ephemeral port). A token
// bucket of RATE tokens per second and BURST tokens at most; a request takes a token and gets
// 200, or finds none and gets 429. What the responses say about time, by MODE:
//
//   standard        429: Retry-After (RFC 9110 §10.2.3: whole delta-seconds, so at least 1)
//                   plus the IETF fields (draft-ietf-httpapi-ratelimit-headers):
//                   RateLimit: "default";r=0;t=<s> and RateLimit-Policy: "default";q=<RATE>;w=1.
//                   200: RateLimit: "default";r=<remaining>;t=<s> and RateLimit-Policy.
//   reset-only      429: x-ratelimit-remaining: 0 and x-ratelimit-reset: <Unix seconds, ceil>
//                   of the next token. 200: x-ratelimit-remaining and x-ratelimit-reset (when
//                   the bucket is full again).
//   ratelimit-only  RateLimit only, on 429 and 200 alike, as in 'standard'.
//
// t is in whole seconds, as the draft's field requires: on a 429 (and a 200 that took the last
// token) the seconds until a token is back, rounded up and at least 1; otherwise the seconds
// until the bucket is full again, rounded up. The real wait is a few ms, so whole seconds
// overstate it: that is what the benchmark measures.
//
// Settings: --rate N --burst N --mode M, else RATELIMIT_RATE, RATELIMIT_BURST, RATELIMIT_MODE,
// else 200, 20, 'standard'. Messages from the parent: { report: true } answers
// { counts: { ok, limited } }; { exit: true }. The parent forks one server per run, so every
// run starts with a full bucket.
import http from 'node:http';
import { parseArgs } from 'node:util';

const MODES = ['standard', 'reset-only', 'ratelimit-only'];

const { values } = parseArgs({
  options: { rate: { type: 'string' }, burst: { type: 'string' }, mode: { type: 'string' } },
});
const rate = Number(values.rate ?? process.env.RATELIMIT_RATE ?? 200);
const burst = Number(values.burst ?? process.env.RATELIMIT_BURST ?? 20);
const mode = values.mode ?? process.env.RATELIMIT_MODE ?? 'standard';
if (!(rate > 0) || !(burst >= 1) || !MODES.includes(mode)) {
  console.error(
    `ratelimit-server: need rate > 0, burst >= 1, mode in ${MODES.join('|')}; got ${rate}, ${burst}, ${mode}`,
  );
  process.exit(2);
}

let tokens = burst;
let refilledAt = performance.now();
let ok = 0;
let limited = 0;

/** Tops the bucket up for the time since the last request. */
function refill() {
  const now = performance.now();
  tokens = Math.min(burst, tokens + ((now - refilledAt) * rate) / 1000);
  refilledAt = now;
}

/** Milliseconds until the bucket holds `level` tokens. */
const untilMs = (level) => (Math.max(0, level - tokens) * 1000) / rate;

/** The headers of a response, `allowed` or not, after the bucket was charged. */
function headers(allowed) {
  const remaining = Math.floor(tokens);
  const spent = remaining === 0;
  // Whole seconds: up for the next token when the quota is spent, else for a full bucket.
  const seconds = spent ? Math.max(1, Math.ceil(untilMs(1) / 1000)) : Math.ceil(untilMs(burst) / 1000);
  const h = { 'Content-Type': 'application/json' };
  if (mode === 'reset-only') {
    const resetMs = Date.now() + (spent ? untilMs(1) : untilMs(burst));
    h['x-ratelimit-remaining'] = String(remaining);
    h['x-ratelimit-reset'] = String(Math.ceil(resetMs / 1000));
    return h;
  }
  h.RateLimit = `"default";r=${remaining};t=${seconds}`;
  if (mode === 'standard') {
    h['RateLimit-Policy'] = `"default";q=${rate};w=1`;
    if (!allowed) h['Retry-After'] = String(seconds);
  }
  return h;
}

const server = http.createServer((_req, res) => {
  refill();
  if (tokens >= 1) {
    tokens -= 1;
    ok += 1;
    res.writeHead(200, headers(true)).end('{"ok":true}');
  } else {
    limited += 1;
    res.writeHead(429, headers(false)).end();
  }
});
server.keepAliveTimeout = 60_000;

process.on('message', (message) => {
  if (message.report) process.send?.({ counts: { ok, limited } });
  if (message.exit) {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// The parent is gone (it crashed or was killed): do not outlive it.
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
