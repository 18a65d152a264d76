import type http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AxiosError, AxiosRequestConfig } from 'axios';
import axios, { isAxiosError } from 'axios';
import { expect } from 'chai';
import nock from 'nock';
import { DEFAULTS, isRetryable } from '../../lib/index.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/*
 * Real failures on 127.0.0.1, classified from the error axios itself throws (no interceptor):
 * one root failure must get one verdict whichever adapter reported it.
 */

/** The error a request fails with; a request that succeeds fails the test. */
async function failureOf(config: AxiosRequestConfig): Promise<AxiosError> {
  try {
    await axios.request({ timeout: 5000, ...config });
  } catch (error) {
    if (isAxiosError(error)) return error;
    throw error;
  }
  throw new Error('the request succeeded');
}

/** Every code down the cause chain, to say what an adapter reported when a verdict is wrong. */
function causeCodes(error: unknown): string {
  const codes: unknown[] = [];
  for (let link = error; typeof link === 'object' && link !== null && codes.length < 8; link = (link as Error).cause) {
    const { code, message } = link as { code?: unknown; message?: unknown };
    codes.push(code ?? message);
  }
  return codes.join(' <- ');
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Sends the headers and half the promised body, then drops the connection. */
function cutOff(res: http.ServerResponse, body: Buffer, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(200, { 'Content-Length': body.length, ...headers });
  res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
}

const text = Buffer.from(
  Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(65 + ((i * 7919) % 26))).join(''),
);

describe('one root failure, one verdict, under the http and fetch adapters', () => {
  let server: TestServer | undefined;
  const real = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });
  // Back to what test/setup.ts allows: loopback only.
  afterEach(() => nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/));

  type Handler = Parameters<typeof startServer>[0];
  /** A failure made by a server's `handler`, or at a `url` where no server of ours runs. */
  const cases: { failure: string; retried: boolean; handler?: Handler; url?: () => Promise<string> }[] = [
    { failure: 'a refused connection', retried: true, url: async () => `http://127.0.0.1:${await closedPort()}/` },
    { failure: 'a reset before the response', retried: true, handler: (_n, req) => req.socket.resetAndDestroy() },
    { failure: 'a connection closed before the response', retried: true, handler: (_n, req) => req.socket.destroy() },
    { failure: 'a body cut off mid-stream', retried: true, handler: (_n, _req, res) => cutOff(res, text) },
    {
      failure: 'a gzip body cut off mid-stream',
      retried: true,
      handler: (_n, _req, res) => cutOff(res, zlib.gzipSync(text), { 'Content-Encoding': 'gzip' }),
    },
    {
      // getaddrinfo refuses a label over 63 bytes (RFC 1035 §2.3.4) before asking any server, so
      // this fails with ENOTFOUND without a DNS query leaving the machine. nock must let it by.
      failure: 'a host name that does not exist',
      retried: false,
      url: async () => {
        nock.enableNetConnect(/^(127\.0\.0\.1|localhost|a{70}\.invalid)(:\d+)?$/);
        return `http://${'a'.repeat(70)}.invalid/`;
      },
    },
  ];

  for (const adapter of ['http', 'fetch'] as const) {
    for (const { failure, retried, handler, url } of cases) {
      real(`${retried ? 'retries' : 'does not retry'} ${failure} (${adapter})`, async () => {
        if (handler) server = await startServer(handler);
        const target = server?.url ?? (await url?.()) ?? '';
        const error = await failureOf({ url: target, adapter });
        expect(isRetryable(error, DEFAULTS), causeCodes(error)).to.equal(retried);
      });
    }
  }
});

interface Http2TestServer {
  url: string;
  /** Streams the server's handler saw. */
  streams: () => number;
  close: () => Promise<void>;
}

/** A cleartext HTTP/2 server on 127.0.0.1; `close()` destroys every session. */
async function startHttp2(
  onStream: (n: number, stream: http2.ServerHttp2Stream) => void,
  onSession: (session: http2.ServerHttp2Session) => void = () => {},
): Promise<Http2TestServer> {
  let streams = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
    onSession(session);
  });
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    onStream(++streams, stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    streams: () => streams,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

// axios speaks HTTP/2 from 1.13 on, and until 1.17 leaves a session timer behind that the leak
// check reports: these run on the axios of the suite, not on the floor version (README).
const axiosHasHttp2 = Number(axios.VERSION.split('.')[1]) >= 17;

(axiosHasHttp2 ? describe : () => {})('over HTTP/2 (httpVersion: 2)', () => {
  const { NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = http2.constants;
  let server: Http2TestServer | undefined;
  const real = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      await server?.close();
      server = undefined;
    });
  const post = (url: string) => ({ url, method: 'post', data: 'order', httpVersion: 2 }) as AxiosRequestConfig;

  real('retries a POST whose stream was refused, and the second attempt is answered', async () => {
    server = await startHttp2((n, stream) => {
      if (n === 1) return stream.close(NGHTTP2_REFUSED_STREAM);
      stream.respond({ ':status': 200 });
      stream.end('second');
    });
    const error = await failureOf(post(server.url));
    expect(error.code).to.equal('ERR_HTTP2_STREAM_ERROR');
    expect(isRetryable(error, DEFAULTS), causeCodes(error)).to.equal(true);
    expect((await axios.request(post(server.url))).data).to.equal('second');
    expect(server.streams()).to.equal(2);
  });

  real('retries a POST that a GOAWAY left above its last stream id, unprocessed', async () => {
    server = await startHttp2(
      (_n, stream) => stream.respond({ ':status': 200 }, { endStream: true }),
      (session) => session.goaway(NGHTTP2_NO_ERROR),
    );
    const error = await failureOf(post(server.url));
    expect(isRetryable(error, DEFAULTS), causeCodes(error)).to.equal(true);
    expect(server.streams()).to.equal(0);
  });

  real('retries another stream reset only for a method that is safe to repeat', async () => {
    server = await startHttp2((_n, stream) => stream.close(NGHTTP2_INTERNAL_ERROR));
    const get = await failureOf({ url: server.url, httpVersion: 2 } as AxiosRequestConfig);
    expect(isRetryable(get, DEFAULTS), causeCodes(get)).to.equal(true);
    const posted = await failureOf(post(server.url));
    expect(isRetryable(posted, DEFAULTS), causeCodes(posted)).to.equal(false);
  });
});
