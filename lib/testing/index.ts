/**
 * `axios-rebound/testing`: for tests of code that retries. {@link useTestMode} makes retries
 * wait no real time while every rule still decides, and {@link faultyAdapter} fails a seeded
 * share of requests before they are sent.
 *
 * @packageDocumentation
 */
export type { FaultOptions } from './fault-options.js';
export type { FaultyAdapter, InjectedFault } from './faulty-adapter.js';
export { faultyAdapter } from './faulty-adapter.js';
export type { TestModeOptions } from './test-mode.js';
export { useTestMode } from './test-mode.js';
