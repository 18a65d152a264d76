import { expect } from 'chai';
import * as rebound from '../lib/index.js';

describe('public surface', () => {
  it('exports exactly the documented runtime names', () => {
    expect(Object.keys(rebound).sort()).to.deep.equal([
      'AdaptiveThrottle',
      'CircuitBreaker',
      'CircuitOpenError',
      'Cooldown',
      'DEFAULTS',
      'RateLimitedError',
      'RetryBudget',
      'ThrottledError',
      'attachRetry',
      'explainPolicy',
      'getRetryState',
      'isRetryable',
      'nextDelay',
      'parseRetryAfter',
      'retry',
      'retryBatch',
      'withRetry',
    ]);
  });
});
