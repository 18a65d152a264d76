import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import type { AxiosHeaders, AxiosInstance, AxiosRequestTransformer } from 'axios';
import axios, { AxiosError } from 'axios';
import { expect } from 'chai';
import type { RetryOptions } from '../../lib/index.js';
import { attachRetry, getRetryState } from '../../lib/index.js';
import { idle, outcome } from '../helpers.js';
import type { TestServer } from '../server.js';
import { itLeakFree, startServer } from '../server.js';

/** One request as the server read it off the wire. */
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Issue §1: a replay is sent as if the user had made the call afresh. The user's transforms see
 * the user's data on every attempt, and what axios derives from the body (its serialization,
 * Content-Length, a multipart boundary) is derived again, never carried over from attempt 1.
 */
describe('a replay is sent as if the user had made the call afresh', () => {
  let server: TestServer | undefined;
  let agent: http.Agent | undefined;

  const real = (title: string, body: () => Promise<void>) =>
    itLeakFree(title, body, async () => {
      agent?.destroy();
      agent = undefined;
      await server?.close();
      server = undefined;
    });

  /** A server answering `statuses` in order (then 200), recording every request it read in full. */
  async function serve(statuses: number[]): Promise<Received[]> {
    const received: Received[] = [];
    server = await startServer((n, req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('latin1') });
        res.statusCode = statuses[n - 1] ?? 200;
        res.end('done');
      });
    });
    return received;
  }

  /** The fields of a multipart body, parsed as a server would (undici's parser); throws if malformed. */
  async function fieldsOf(request: Received | undefined): Promise<Record<string, unknown>> {
    const { headers, body } = request ?? { headers: {}, body: '' };
    const type = headers['content-type'] ?? '';
    const form = await new Response(Buffer.from(body, 'latin1'), { headers: { 'content-type': type } })
      .formData()
      .catch(() => {
        throw new Error(`not a well-formed multipart body for "${type}": ${JSON.stringify(body)}`);
      });
    const fields: Record<string, unknown> = {};
    for (const [name, value] of form) fields[name] = typeof value === 'string' ? value : await value.text();
    return fields;
  }

  /** An instance on the server, over one keep-alive connection, so a stale length would show. */
  function api(options: Partial<RetryOptions> = {}): AxiosInstance {
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const instance = axios.create({ baseURL: server?.url ?? '', httpAgent: agent });
    attachRetry(instance, { baseDelay: 1, jitter: 'none', ...options });
    return instance;
  }

  real("runs the user's transformRequest once per attempt, on the user's own data", async () => {
    const received = await serve([503]);
    const handed: unknown[] = [];
    const serialize = (data: unknown, headers: AxiosHeaders) => {
      handed.push(data);
      headers.set('Content-Type', 'application/vnd.rebound+json');
      return JSON.stringify({ v: 1, payload: data });
    };
    const response = await api().put('/items/1', { name: 'a' }, { transformRequest: [serialize] });
    expect(response.status).to.equal(200);
    expect(handed).to.deep.equal([{ name: 'a' }, { name: 'a' }]);
    expect(received).to.have.length(2);
    expect(received[1]?.body).to.equal(received[0]?.body);
    expect(JSON.parse(received[1]?.body ?? '')).to.deep.equal({ v: 1, payload: { name: 'a' } });
    expect(received[1]?.headers['content-type']).to.equal('application/vnd.rebound+json');
  });

  real('derives Content-Length per attempt: a body of a new length arrives whole, and nothing stray', async () => {
    const received = await serve([503]);
    // A transform that stamps each attempt: its output grows by one byte from attempt 1 to 2.
    let sequence = 8;
    const stamp = (data: unknown) => Buffer.from(JSON.stringify({ seq: ++sequence, data })).toString('base64');
    const response = await api().put('/items/1', { name: 'a' }, { transformRequest: [stamp] });
    expect(response.status).to.equal(200);
    await idle();
    expect(server?.hits()).to.equal(2);
    const decoded = received.map((r) => JSON.parse(Buffer.from(r.body, 'base64').toString()) as unknown);
    expect(decoded).to.deep.equal([
      { seq: 9, data: { name: 'a' } },
      { seq: 10, data: { name: 'a' } },
    ]);
    for (const { headers, body } of received) expect(headers['content-length']).to.equal(String(body.length));
  });

  for (const method of ['postForm', 'putForm'] as const) {
    real(`retries ${method} with a plain object, sending the same bytes and boundary on both attempts`, async () => {
      const received = await serve([503]);
      const response = await api()[method]('/form', { a: '1', b: 'x' }, { headers: { 'Idempotency-Key': 'k' } });
      expect(response.status).to.equal(200);
      expect(received).to.have.length(2);
      const [first, second] = received;
      expect(await fieldsOf(first)).to.deep.equal({ a: '1', b: 'x' });
      expect(second?.headers['content-type']).to.equal(first?.headers['content-type']);
      expect(second?.body).to.equal(first?.body);
    });
  }

  // Broken by f1d467c (fixed in a391d1b): the parts and the Content-Type named different boundaries.
  real('sends a postForm body that parses as the fields given, even when the first attempt succeeds', async () => {
    const received = await serve([]);
    await api().postForm('/form', { a: '1', b: 'x' });
    expect(await fieldsOf(received[0])).to.deep.equal({ a: '1', b: 'x' });
  });

  // Broken by f1d467c (fixed in a391d1b): it set our boundary on a form after its parts were written.
  real('sends a form-data object the user built as it is, parts and boundary untouched', async () => {
    const received = await serve([]);
    // Under Node, axios builds this with the form-data package: a stream that carries its boundary.
    const form = axios.toFormData({ a: '1' }) as unknown as { getBoundary(): string };
    const boundary = form.getBoundary();
    await api().post('/form', form);
    expect(form.getBoundary()).to.equal(boundary);
    expect(await fieldsOf(received[0])).to.deep.equal({ a: '1' });
  });

  real('sends a standard FormData body with the same bytes and boundary on every attempt', async () => {
    const received = await serve([503, 502]);
    const form = new FormData();
    form.append('a', '1');
    form.append('file', new Blob(['hello']), 'hello.txt');
    const response = await api().post('/upload', form, { headers: { 'Idempotency-Key': 'k' } });
    expect(response.status).to.equal(200);
    expect(received).to.have.length(3);
    const [first, ...rest] = received;
    expect(await fieldsOf(first)).to.deep.equal({ a: '1', file: 'hello' });
    for (const later of rest) {
      expect(later.headers['content-type']).to.equal(first?.headers['content-type']);
      expect(later.body).to.equal(first?.body);
    }
  });

  real(
    'retries a URLSearchParams body with identical bytes, signed once per attempt after axios serialized it',
    async () => {
      const received = await serve([503]);
      const params = new URLSearchParams({ q: 'a b', n: '2' });
      const sign = (data: unknown) =>
        `${String(data)}&sig=${createHash('sha256').update(String(data)).digest('hex').slice(0, 8)}`;
      const transformRequest: AxiosRequestTransformer[] = [...[axios.defaults.transformRequest ?? []].flat(), sign];
      const response = await api().post('/search', params, { headers: { 'Idempotency-Key': 'k' }, transformRequest });
      expect(response.status).to.equal(200);
      const signed = sign('q=a+b&n=2');
      expect(received.map((r) => r.body)).to.deep.equal([signed, signed]);
      expect(received[1]?.headers['content-type']).to.equal(received[0]?.headers['content-type']);
    },
  );

  real("stops with 'body-not-replayable' only for a stream the user gave, not one axios made", async () => {
    await serve([503, 503, 503]);
    const instance = api();
    const nodeStream = await outcome(instance.put('/a', Readable.from([Buffer.from('abc')])));
    expect((nodeStream.error as AxiosError).response?.status).to.equal(503);
    expect(getRetryState(nodeStream.error)).to.include({ attempt: 1, stopReason: 'body-not-replayable' });
    expect(server?.hits()).to.equal(1);

    const webStream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('abc'));
        controller.close();
      },
    });
    const { error } = await outcome(instance.put('/b', webStream, { adapter: 'fetch' }));
    expect(error).to.be.instanceOf(AxiosError);
    expect(getRetryState(error)).to.include({ attempt: 1, stopReason: 'body-not-replayable' });
    expect(server?.hits()).to.equal(2);

    // axios turns this object into a multipart stream itself: that one is derived again.
    const form = await instance.putForm('/c', { a: '1' });
    expect(form.status).to.equal(200);
    expect(getRetryState(form)?.attempt).to.equal(2);
  });
});
