import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, MAX_TIMEOUT_MS } from '../src/index.js';

type Bad = [
  option: string,
  value: unknown,
  error: typeof TypeError | typeof RangeError,
  message: string,
];

const cases: Bad[] = [
  ['name', '', TypeError, 'name must be a non-empty string, got ""'],
  ['name', 42, TypeError, 'name must be a non-empty string, got 42'],
  ['name', null, TypeError, 'name must be a non-empty string, got null'],
  ['failureThreshold', 0, RangeError, 'failureThreshold must be an integer >= 1, got 0'],
  ['failureThreshold', 2.5, RangeError, 'failureThreshold must be an integer >= 1, got 2.5'],
  ['failureThreshold', Number.NaN, RangeError, 'failureThreshold must be an integer >= 1, got NaN'],
  ['failureThreshold', '5', TypeError, 'failureThreshold must be a number, got "5"'],
  ['failureThreshold', null, TypeError, 'failureThreshold must be a number, got null'],
  [
    'resetTimeout',
    -1,
    RangeError,
    `resetTimeout must be an integer between 0 and ${MAX_TIMEOUT_MS}, got -1`,
  ],
  [
    'resetTimeout',
    MAX_TIMEOUT_MS + 1,
    RangeError,
    `resetTimeout must be an integer between 0 and ${MAX_TIMEOUT_MS}, got ${MAX_TIMEOUT_MS + 1}`,
  ],
  [
    'resetTimeout',
    Number.POSITIVE_INFINITY,
    RangeError,
    `resetTimeout must be an integer between 0 and ${MAX_TIMEOUT_MS}, got Infinity`,
  ],
  ['resetTimeout', 10n, TypeError, 'resetTimeout must be a number or a function, got 10n'],
  ['halfOpenMaxCalls', 0, RangeError, 'halfOpenMaxCalls must be an integer >= 1, got 0'],
  ['halfOpenMaxCalls', true, TypeError, 'halfOpenMaxCalls must be a number, got true'],
  [
    'clock',
    {},
    TypeError,
    'clock must have now(), setTimeout() and clearTimeout() methods, got {}',
  ],
  [
    'clock',
    Date,
    TypeError,
    'clock must have now(), setTimeout() and clearTimeout() methods, got function Date',
  ],
  ['logger', { info() {} }, TypeError, 'logger must have info() and warn() methods, got {}'],
  ['logger', 'console', TypeError, 'logger must have info() and warn() methods, got "console"'],
  ['inspect', 5, TypeError, 'inspect must be a function or an observer with next(), got 5'],
  ['inspect', {}, TypeError, 'inspect must be a function or an observer with next(), got {}'],
];

describe('options', () => {
  it.each(cases)('rejects %s = %o', (option, value, error, message) => {
    const options = { [option]: value } as CircuitBreakerOptions;
    expect(() => new CircuitBreaker(options)).toThrow(error);
    expect(() => new CircuitBreaker(options)).toThrow(message);
  });

  it('rejects unknown options (a typo must not fall back to a default)', () => {
    expect(() => new CircuitBreaker({ failureTreshold: 3 } as CircuitBreakerOptions)).toThrow(
      new TypeError('unknown option "failureTreshold"'),
    );
  });

  it('rejects options that are not an object', () => {
    expect(() => new CircuitBreaker(5 as CircuitBreakerOptions)).toThrow(
      new TypeError('options must be an object, got 5'),
    );
    expect(() => new CircuitBreaker(null as unknown as CircuitBreakerOptions)).toThrow(TypeError);
  });

  it('accepts the edges of every range and fills defaults', () => {
    const breaker = new CircuitBreaker({
      name: 'x',
      failureThreshold: 1,
      resetTimeout: MAX_TIMEOUT_MS,
      halfOpenMaxCalls: 1,
      logger: console,
      inspect: { next: () => undefined },
    });
    expect(breaker.name).toBe('x');
    breaker.dispose();
    const defaults = new CircuitBreaker({ name: undefined });
    expect(defaults.name).toBe('default');
    expect(String(defaults)).toBe('CircuitBreaker(name=default, state=closed, failures=0/5)');
    defaults.dispose();
    expect(new CircuitBreaker({ resetTimeout: 0 }).timeUntilRetry()).toBeNull();
  });
});
