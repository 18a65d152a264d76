// A child process for bench/memory.ts: holds every request open until the parent says
// "release", and tells the parent each time `expected` requests have arrived.
import http from 'node:http';

let held = [];
let expected = Infinity;
const server = http.createServer((_req, res) => {
  held.push(res);
  if (held.length === expected) process.send?.({ arrived: held.length });
});
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;
process.on('message', (message) => {
  if (message.expect) expected = message.expect;
  if (message.release) {
    for (const res of held) res.end('ok');
    held = [];
  }
  if (message.exit) server.close(() => process.exit(0));
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
