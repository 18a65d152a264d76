/**
 * npm run demo [-- flags]        (npm run demo -- --help lists them)
 *
 * A run (the default) starts a flaky HTTP server on 127.0.0.1 (an ephemeral port) that answers
 * the first `--failures` requests with 503 and then 200, calls it through axios-rebound, prints
 * the timeline of attempts, and exits. `--explain` prints instead the schedule `explainPolicy`
 * gives a policy: the library's DEFAULTS, with the policy flags given over them.
 *
 * Every flag acts or is refused: an unknown flag, a bad value, a flag of the other mode, or an
 * option the library rejects prints one line `demo: ...` on stderr and exits with code 2.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import axios, { isAxiosError } from 'axios';
import { nearestName } from '../lib/decide/validate.js';
import type { AttemptRecord, RetryOptions, ValidatedRetryOptions } from '../lib/index.js';
import { attachRetry, DEFAULTS, explainPolicy, getRetryState, parseRetryAfter } from '../lib/index.js';

type Mode = 'run' | 'explain';
interface Flag {
  readonly kind: 'switch' | 'number' | 'text';
  /** Where the flag applies; in the other mode it is refused, saying `why`. */
  readonly modes: readonly Mode[];
  readonly why?: string;
  /** The retry option it sets; the library validates the value. */
  readonly option?: keyof RetryOptions;
  /** The demo's scenario in a run when the flag is not given (`--explain` starts from DEFAULTS). */
  readonly runDefault?: string;
  /** The demo's own check, for values the library never sees. */
  readonly check?: { readonly test: (raw: string) => boolean; readonly expected: string };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const BOTH: readonly Mode[] = ['run', 'explain'];
const RUN: readonly Mode[] = ['run'];
const EXPLAIN: readonly Mode[] = ['explain'];
const atLeast =
  (min: number, above = false) =>
  (raw: string) =>
    NUMBER.test(raw) && (above ? Number(raw) > min : Number(raw) >= min);

/** Every flag, once: the README's flags table mirrors this map. */
const FLAGS = new Map<string, Flag>([
  [
    'failures',
    {
      kind: 'text',
      modes: RUN,
      why: '(the schedule assumes every attempt fails)',
      runDefault: '10',
      check: { test: (raw) => /^\d+$/.test(raw), expected: 'an integer >= 0' },
    },
  ],
  [
    'retry-after',
    {
      kind: 'text',
      modes: RUN,
      why: '(explainPolicy does not model Retry-After)',
      check: { test: (raw) => /^\d+(\.\d+)?$/.test(raw), expected: 'seconds, such as 1 or 0.5' },
    },
  ],
  ['retries', { kind: 'number', modes: BOTH, option: 'retries', runDefault: '10' }],
  ['base-delay', { kind: 'number', modes: BOTH, option: 'baseDelay', runDefault: '50' }],
  ['max-delay', { kind: 'number', modes: BOTH, option: 'maxDelay', runDefault: '500' }],
  ['jitter', { kind: 'text', modes: BOTH, option: 'jitter' }],
  ['attempt-timeout', { kind: 'number', modes: BOTH, option: 'attemptTimeout' }],
  ['deadline', { kind: 'number', modes: BOTH, option: 'deadline' }],
  ['explain', { kind: 'switch', modes: BOTH }],
  ['attempt-latency', { kind: 'text', modes: EXPLAIN, check: { test: atLeast(0), expected: 'ms >= 0' } }],
  ['p95', { kind: 'text', modes: EXPLAIN, check: { test: atLeast(0, true), expected: 'ms > 0' } }],
  ['help', { kind: 'switch', modes: BOTH }],
]);

const USAGE = `usage: npm run demo -- [--failures N] [--retry-after SECONDS] [policy flags]
       npm run demo -- --explain [policy flags] [--attempt-latency MS] [--p95 MS]
policy flags: --retries N  --base-delay MS  --max-delay MS  --jitter full|equal|decorrelated|none
              --attempt-timeout MS  --deadline MS
A run starts from the demo's scenario (${[...FLAGS].flatMap(([name, f]) => (f.runDefault ? [`--${name} ${f.runDefault}`] : [])).join(' ')});
--explain from the library's defaults (retries ${DEFAULTS.retries}, baseDelay ${DEFAULTS.baseDelay}, maxDelay ${DEFAULTS.maxDelay}).`;

function refuse(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(2);
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ms = (v: number | undefined) => (v === undefined ? '-' : v === Infinity ? 'unbounded' : `${Math.round(v)} ms`);

// Not strict: parseArgs would throw a multi-line error with a stack, and would take `--retries -1`
// for a missing value. The demo refuses what it must itself, one line each.
const { tokens } = parseArgs({
  options: {
    ...Object.fromEntries(
      [...FLAGS].map(([name, flag]) => [name, { type: flag.kind === 'switch' ? 'boolean' : 'string' } as const]),
    ),
    help: { type: 'boolean', short: 'h' },
  },
  strict: false,
  allowPositionals: true,
  tokens: true,
});
const given = new Map<string, { flag: Flag; raw: string }>();
for (const token of tokens) {
  if (token.kind === 'positional') refuse(`unexpected argument "${token.value}": flags start with --; see --help`);
  if (token.kind !== 'option') continue;
  const flag = FLAGS.get(token.name);
  if (!flag) refuse(`unknown flag ${token.rawName}${nearest(token.name)}; see --help`);
  if (given.has(token.name)) refuse(`--${token.name} is given twice`);
  if (flag.kind === 'switch' && token.value !== undefined) refuse(`--${token.name} takes no value`);
  if (flag.kind !== 'switch' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))) {
    refuse(`--${token.name} needs a value`);
  }
  given.set(token.name, { flag, raw: token.value ?? '' });
}
if (given.has('help')) {
  console.log(USAGE);
  process.exit(0);
}

const mode: Mode = given.has('explain') ? 'explain' : 'run';
for (const [name, { flag, raw }] of given) {
  if (!flag.modes.includes(mode)) {
    refuse(
      mode === 'run' ? `--${name} applies only with --explain` : `--${name} does not apply to --explain ${flag.why}`,
    );
  }
  if (flag.check && !flag.check.test(raw)) refuse(`--${name} must be ${flag.check.expected}, got "${raw}"`);
  if (flag.kind === 'number' && !NUMBER.test(raw)) refuse(`--${name} must be a number, got "${raw}"`);
}

/** A flag's value: as given, else the demo's scenario in a run. */
function setting(name: string): string | undefined {
  return given.get(name)?.raw ?? (mode === 'run' ? FLAGS.get(name)?.runDefault : undefined);
}

const values: Record<string, unknown> = {};
for (const [name, flag] of FLAGS) {
  const raw = setting(name);
  if (flag.option && raw !== undefined) values[flag.option] = flag.kind === 'number' ? Number(raw) : raw;
}
// Unchecked here on purpose: the library checks every option (a TypeError naming it), see refuseOptions.
const policy = values as Partial<RetryOptions>;

/** Refuses options the library rejects: its TypeError names the option; say which flag sets it. */
function refuseOptions(error: unknown): never {
  if (!(error instanceof TypeError)) throw error;
  const option = /option "(\w+)"/.exec(error.message)?.[1];
  const [name, flag] = [...FLAGS].find(([, f]) => f.option !== undefined && f.option === option) ?? [];
  let source = '';
  if (name && !given.has(name)) {
    source =
      flag?.runDefault && mode === 'run'
        ? ` (the demo's default; set --${name})`
        : ` (the library's default; set --${name})`;
  }
  refuse(`${error.message}${source}`);
}

type Shown = 'retries' | 'backoff' | 'baseDelay' | 'factor' | 'maxDelay' | 'jitter' | 'attemptTimeout' | 'deadline';
const describe = (o: Pick<ValidatedRetryOptions, Shown>) =>
  `retries=${o.retries} backoff=${typeof o.backoff === 'function' ? 'custom' : o.backoff} baseDelay=${o.baseDelay}ms ` +
  `factor=${o.factor} maxDelay=${o.maxDelay}ms jitter=${o.jitter}` +
  (o.attemptTimeout === undefined ? '' : ` attemptTimeout=${o.attemptTimeout}ms`) +
  (o.deadline === undefined ? '' : ` deadline=${o.deadline}ms`);

function explain(): void {
  const latency = setting('attempt-latency');
  const p95 = setting('p95');
  let plan: ReturnType<typeof explainPolicy>;
  try {
    plan = explainPolicy(policy, {
      ...(latency === undefined ? {} : { attemptLatencyMs: Number(latency) }),
      ...(p95 === undefined ? {} : { sla: { p95Ms: Number(p95) } }),
    });
  } catch (error) {
    refuseOptions(error);
  }
  const set = [...given].filter(([, { flag }]) => flag.option).map(([name]) => `--${name}`);
  // For display only: explainPolicy has validated `policy` and merged it over DEFAULTS the same way.
  console.log(`policy: ${describe({ ...DEFAULTS, ...policy })}`);
  console.log(
    set.length === 0
      ? "        the library's defaults (the policy flags change them; see --help)\n"
      : `        ${set.join(', ')} over the library's defaults\n`,
  );
  console.log('  attempt  wait before (min..max, median)   timeout      starts by (median / latest)');
  for (const a of plan.attempts) {
    console.log(
      `  ${String(a.attempt).padEnd(9)}${`${ms(a.wait.min)}..${ms(a.wait.max)}, ${ms(a.wait.median)}`.padEnd(33)}` +
        `${ms(a.timeoutMs).padEnd(13)}${ms(a.startsAt.median)} / ${ms(a.startsAt.latest)}`,
    );
  }
  const n = plan.attempts.length;
  const attempts =
    n === 1 ? '1 attempt (no retry)' : `${n} attempts (the first and ${count(n - 1, 'retry', 'retries')})`;
  const total = `${ms(plan.totalMs.median)} (median) / ${ms(plan.totalMs.worst)} (worst case)`;
  console.log(`\n${attempts}; if every one fails, the call gives up after ${total}`);
  for (const warning of plan.warnings) console.log(`warning: ${warning}`);
}

/**
 * Who set a wait. The server's Retry-After is a floor that the library spreads up to 20 % above
 * (README, Retry-After), so a wait in that band is the server's; a longer one is the backoff's.
 */
function setBy(error: unknown, delayMs: number): string {
  const header: unknown = isAxiosError(error) ? error.response?.headers['retry-after'] : undefined;
  const serverMs = parseRetryAfter(header);
  if (serverMs === undefined) return 'backoff';
  if (serverMs > 0 && delayMs <= Math.ceil(serverMs * 1.2)) return `set by the server (Retry-After: ${header})`;
  return `backoff (Retry-After: ${header} ${serverMs === 0 ? 'adds nothing' : 'is shorter'})`;
}

const row = (r: AttemptRecord | undefined, wait = '-') =>
  r &&
  console.log(
    `  ${String(r.attempt).padEnd(9)}${String(r.status ?? r.code ?? '?').padEnd(8)}${`${r.durationMs} ms`.padEnd(10)}${wait}`,
  );

async function run(): Promise<void> {
  const failures = Number(setting('failures'));
  const retryAfter = setting('retry-after');
  const api = axios.create();
  let options: Readonly<ValidatedRetryOptions>;
  try {
    options = attachRetry(api, {
      ...policy,
      onRetry: ({ state, error, delayMs }) => row(state.history.at(-1), `${delayMs} ms, ${setBy(error, delayMs)}`),
    }).options;
  } catch (error) {
    refuseOptions(error);
  }

  let received = 0;
  const server = http.createServer((_req, res) => {
    received += 1;
    if (received <= failures) {
      res.writeHead(503, retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
      res.end('service unavailable');
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ model: 'ready', servedAfter: received - 1 }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.defaults.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const first = failures === 1 ? 'the first request gets 503' : `the first ${failures} requests get 503`;
  console.log(
    `flaky server on ${api.defaults.baseURL}: ${failures === 0 ? 'every request gets 200' : first}` +
      (retryAfter === undefined || failures === 0 ? '' : ` with Retry-After: ${retryAfter}`),
  );
  console.log(`client: ${describe(options)}\n`);
  console.log('  attempt  status  latency   then waits');
  const started = performance.now();
  const took = () => `in ${Math.round(performance.now() - started)} ms; the server saw ${count(received, 'request')}`;
  try {
    const response = await api.get('/model');
    const state = getRetryState(response);
    row(state?.history.at(-1));
    const retries = (state?.attempt ?? 1) - 1;
    console.log(
      `\nresult: ${response.status} ${JSON.stringify(response.data)} after ${count(retries, 'retry', 'retries')} ${took()}`,
    );
  } catch (error) {
    const state = getRetryState(error);
    row(state?.history.at(-1));
    console.log(
      `\nresult: gave up (${state?.stopReason ?? 'unknown'}) after ${count(state?.attempt ?? 1, 'attempt')} ` +
        `${took()}: ${(error as Error).message}`,
    );
  } finally {
    server.close();
  }
}

if (mode === 'explain') explain();
else await run();

/** ` (did you mean --x?)` for a flag within two edits of a known one. */
function nearest(name: string): string {
  const near = nearestName(name, FLAGS.keys());
  return near ? ` (did you mean --${near}?)` : '';
}
