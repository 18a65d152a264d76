import { createHook } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServer {
  url: string;
  /** Requests received so far. */
  hits: () => number;
  close: () => Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 and an ephemeral port, for what nock cannot fake: timeouts,
 * resets, streams. `handler` gets the 1-based number of each request. `close()` destroys
 * every socket, so no test leaves one behind.
 */
export async function startServer(
  handler: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => handler(++hits, req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs `body` and then waits until every timer and socket created during it is gone or no
 * longer holds the process open (unref'd, like a pooled keep-alive socket). Fails, naming
 * what is left, if that does not happen within a bounded number of event-loop turns.
 */
export async function withoutLeaks(body: () => Promise<void>): Promise<void> {
  // Mocha starts the test's own timeout timer just after the test function returns: let it.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const live = new Map<number, { type: string; resource: { hasRef?: () => boolean } }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === 'Timeout' || type === 'TCPWRAP') live.set(id, { type, resource: resource as never });
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  try {
    await body();
    const holding = () => [...live.values()].filter((h) => h.resource.hasRef?.() !== false).map((h) => h.type);
    for (let turn = 0; turn < 5000 && holding().length > 0; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (holding().length > 0) throw new Error(`left behind: ${holding().join(', ')}`);
  } finally {
    hook.disable();
  }
}

/**
 * `it`, for a test that starts a server: `closeServer` runs after the body whatever happens,
 * and then no timer or socket the test made may be left.
 */
export function itLeakFree(title: string, body: () => Promise<void>, closeServer: () => Promise<void>): void {
  it(title, () =>
    withoutLeaks(async () => {
      try {
        await body();
      } finally {
        await closeServer();
      }
    }),
  );
}
