// A child process for bench/batch.ts: a dependency on 127.0.0.1 that, in mode 'flaky', answers
// 503 to the first request of 30 % of the items (chosen by the item's number, so every run
// fails the same ones) and 200 to everything else, or in mode 'down', 503 to everything.
// Messages from the parent: { mode }, { report: true }, { exit: true }.
import http from 'node:http';

let mode = 'flaky';
let requests = 0;
const seen = new Map();

const server = http.createServer((req, res) => {
  requests += 1;
  const id = Number(req.url?.split('/').pop());
  const count = (seen.get(id) ?? 0) + 1;
  seen.set(id, count);
  const fails = mode === 'down' || (id % 10 < 3 && count === 1);
  res.writeHead(fails ? 503 : 200, { 'Content-Type': 'application/json' }).end(fails ? '' : `{"id":${id}}`);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('message', (m) => {
  if (m.mode) {
    mode = m.mode;
    requests = 0;
    seen.clear();
    process.send?.({ ready: true });
  }
  if (m.report) process.send?.({ counts: { requests, items: seen.size } });
  if (m.exit) server.close(() => process.exit(0));
});
