import { createRequire } from 'node:module';
import type { Attributes } from '@opentelemetry/api';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { CollectionResult, DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { httpInstrumentationHooks, undiciInstrumentationHooks } from '../../lib/otel/index.js';

/** A reader the test collects from when it wants: no timer, no exporter. */
export class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * The real OpenTelemetry SDK as a user sets it up: a tracer provider with an in-memory
 * exporter, an AsyncLocalStorage context manager, and the real http and undici
 * instrumentations with our hooks spread in (the lines the README tells users to add).
 * `stop()` leaves no global state behind for the other test files.
 */
export function startTelemetry() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const unregister = registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({ ...httpInstrumentationHooks }),
      new UndiciInstrumentation({ ...undiciInstrumentationHooks }),
    ],
  });
  // instrumentation-http patches `http` when it is required after it is enabled (what a
  // `--require ./instrumentation.cjs` preload achieves for an app); the test runner loaded it
  // before, so require it again here. axios calls `http.request` on the module at request time.
  createRequire(import.meta.url)('node:http');
  const tracer = tracerProvider.getTracer('test');
  return {
    exporter,
    /** Runs `body` under an active caller span; returns the span once `body` settles. */
    async underCallerSpan(body: () => Promise<unknown>): Promise<ReadableSpan> {
      const span = tracer.startSpan('caller');
      try {
        await context.with(trace.setSpan(context.active(), span), body);
      } catch {
        // The test looks at the span.
      } finally {
        span.end();
      }
      const ended = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === span.spanContext().spanId);
      if (!ended) throw new Error('the caller span was not exported');
      return ended;
    },
    clientSpans(): ReadableSpan[] {
      return exporter
        .getFinishedSpans()
        .filter((s) => s.kind === SpanKind.CLIENT)
        .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    },
    async stop() {
      unregister();
      await tracerProvider.shutdown();
      context.disable();
    },
  };
}

/** A meter provider and its reader, fresh for each test (so every value read is that test's). */
export function startMetrics() {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    /** The data points of metric `name`, as `{ attributes, value }`. */
    async points(name: string): Promise<DataPoint<unknown>[]> {
      const { resourceMetrics }: CollectionResult = await reader.collect();
      const metric = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((m) => m.descriptor.name === name);
      return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

/** A histogram point's count and sum, what the tests compare. */
export const countAndSum = (point: DataPoint<unknown> | undefined) => {
  const value = point?.value as Histogram | undefined;
  return value && { count: value.count, sum: value.sum };
};

export const resendCounts = (spans: ReadableSpan[]) =>
  spans.map((s) => (s.attributes as Attributes)['http.request.resend_count']);
