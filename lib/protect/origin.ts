import type { InternalAxiosRequestConfig } from 'axios';

/**
 * The origin of the request URL (scheme, host and port), resolving `url` against `baseURL`:
 * the default key of a circuit and of a cooldown.
 */
export function originOf(config: Pick<InternalAxiosRequestConfig, 'url' | 'baseURL'>): string {
  try {
    return new URL(config.url ?? '', config.baseURL ?? globalThis.location?.href).origin;
  } catch {
    return config.baseURL ?? config.url ?? '';
  }
}
