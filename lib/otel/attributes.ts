import type { Attributes } from '@opentelemetry/api';
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';

/** HTTP methods the semantic conventions know; any other is reported as `_OTHER`. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/**
 * A call's low-cardinality attributes, under the HTTP semantic conventions' names: the method,
 * the server's host and port. Never the path or the query (unbounded, and may carry secrets).
 */
export function callAttributes(instance: AxiosInstance, config: InternalAxiosRequestConfig | undefined): Attributes {
  if (!config) return {};
  const method = (config.method ?? 'get').toUpperCase();
  const attributes: Attributes = { 'http.request.method': KNOWN_METHODS.has(method) ? method : '_OTHER' };
  const url = parseUrl(instance, config);
  if (url) {
    attributes['server.address'] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
    if (port !== undefined) attributes['server.port'] = port;
  }
  return attributes;
}

/** The request's absolute URL, against the page's in a browser; `undefined` when there is none. */
function parseUrl(instance: AxiosInstance, config: InternalAxiosRequestConfig): URL | undefined {
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    return new URL(instance.getUri(config), base);
  } catch {
    return undefined;
  }
}

/**
 * What failed, as the semantic conventions' `error.type`: the status code of a response, else
 * the error's code (`ECONNRESET`, `ECONNABORTED`…), else its name.
 */
export function errorType(error: unknown): string {
  const { response, code, name } = (error ?? {}) as { response?: { status?: unknown }; code?: unknown; name?: unknown };
  if (typeof response?.status === 'number') return String(response.status);
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : '_OTHER';
}
