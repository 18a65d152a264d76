/** Shared pieces of the benchmarks: variants under test, statistics, and the results file. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import axios from 'axios';
import axiosRetry, { exponentialDelay } from 'axios-retry';
import * as rax from 'retry-axios';
import type { RetryOptions } from '../lib/index.js';
import { attachRetry } from '../lib/index.js';

export type Variant = 'bare axios' | 'axios-rebound' | 'axios-retry' | 'retry-axios';
export const VARIANTS: readonly Variant[] = ['bare axios', 'axios-rebound', 'axios-retry', 'retry-axios'];

/** An axios instance with the variant attached with its documented defaults, or `comparable` settings. */
export function create(
  variant: Variant,
  defaults: CreateAxiosDefaults = {},
  comparable?: { retries: number; baseDelay: number; maxDelay: number },
  rebound: Partial<RetryOptions> = {},
): AxiosInstance {
  const api = axios.create(defaults);
  if (variant === 'axios-rebound') {
    attachRetry(api, comparable ? { ...comparable, ...rebound } : rebound);
  } else if (variant === 'axios-retry') {
    axiosRetry(
      api,
      comparable
        ? {
            retries: comparable.retries,
            retryDelay: (n, e) => Math.min(comparable.maxDelay, exponentialDelay(n, e, comparable.baseDelay / 2)),
          }
        : {},
    );
  } else if (variant === 'retry-axios') {
    api.defaults.raxConfig = comparable
      ? {
          retry: comparable.retries,
          retryDelay: comparable.baseDelay * 2,
          maxRetryDelay: comparable.maxDelay,
          jitter: 'full',
        }
      : {};
    rax.attach(api);
  }
  return api;
}

/** The next message from a child process that carries `key`: its value. */
export function message<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, T>) => {
      if (key in m) {
        child.off('message', on);
        resolve(m[key] as T);
      }
    };
    child.on('message', on);
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** `items` rotated by `round`, so that no variant always runs first (or last) in a round. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  collect();
  collect();
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const version = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

const ownVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The machine and versions line every section carries. */
export function environment(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return (
    `${os.cpus().length} × ${cpu}, Node ${process.version}; axios ${version('axios')}, ` +
    `axios-retry ${version('axios-retry')}, retry-axios ${version('retry-axios')}, axios-rebound ${ownVersion}`
  );
}

const RESULTS = new URL('./RESULTS.md', import.meta.url);
const PREAMBLE =
  '# Benchmark and soak results\n\nFigures measured on the project machine (2 cores). Each section says the command that produced it.\n';

/** Replaces (or adds) the `## title` section of bench/RESULTS.md. */
export function writeSection(title: string, body: string): void {
  let text = PREAMBLE;
  try {
    text = readFileSync(RESULTS, 'utf8');
  } catch {
    // First run: start from the preamble.
  }
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const section = `## ${title}\n\n${body.trim()}\n`;
  const pattern = new RegExp(`## ${escaped}\\n[\\s\\S]*?(?=\\n## |$)`);
  text = pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}`;
  writeFileSync(RESULTS, text.endsWith('\n') ? text : `${text}\n`);
}
