import { TokenBucket } from '@softadastra/sync-core';
import { pino, type Logger as PinoLogger } from 'pino';

/** A structured logger: one JSON object per line, an `event` name and its fields. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** The levels of {@link createLogger}, least to most severe; `'silent'` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The least severe level written. @default 'info' */
  readonly level?: LogLevel;
}

/**
 * Field paths whose values are replaced by `[redacted]`: a bearer token, a
 * secret or an `Authorization` header must never reach a log file.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  'access_token',
  'secret',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.token',
  '*.access_token',
  '*.secret',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
];

/**
 * Logs JSON lines with `pino` — `{"level":"warn","time":"…","event":"…",…}` —
 * to stderr by default, to `write`, or nowhere (`false`). Tokens, secrets and
 * `Authorization` headers in the fields are redacted ({@link REDACTED_PATHS}).
 *
 * @param write - where each line goes @default stderr
 * @param options - the level
 */
export function createLogger(write: ((line: string) => void) | false = (line) => process.stderr.write(line), options: LoggerOptions = {}): Logger {
  if (write === false) return fromPino(pino({ level: 'silent' }));
  return fromPino(
    pino(
      {
        level: options.level ?? 'info',
        base: null,
        messageKey: 'message',
        timestamp: pino.stdTimeFunctions.isoTime,
        // `"level":"error"`, not `50`: lines a person (or grep) can read.
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      },
      // pino takes any object with a synchronous write(line): lines are written as they are logged,
      // so nothing is lost when the process exits right after (the rate limit bounds the volume).
      { write },
    ),
  );
}

/**
 * Adapts a `pino` logger (yours, with its own destination and transports) to
 * the relay's {@link Logger}: each line carries the `event` name and its fields.
 *
 * @param logger - a pino logger, e.g. `pino()` or `yourLogger.child({ component: 'relay' })`
 */
export function fromPino(logger: PinoLogger): Logger {
  return {
    info: (event, fields = {}) => logger.info({ event, ...fields }),
    warn: (event, fields = {}) => logger.warn({ event, ...fields }),
    error: (event, fields = {}) => logger.error({ event, ...fields }),
  };
}

/** Options of {@link rateLimitedLogger}. */
export interface LogRateOptions {
  /** Lines per second per event name, sustained. @default 10 */
  readonly perSecond?: number;
  /** Lines per event name in a burst. @default 50 */
  readonly burst?: number;
  /** The current time. @default Date.now */
  readonly now?: () => number;
}

/** What a rate-limited logger adds: what it held back, to flush on shutdown. */
export interface RateLimitedLogger extends Logger {
  /** Logs one `log-suppressed` line for the lines held back since the last one, if any. */
  flush(): void;
}

/**
 * A logger that writes at most `perSecond` lines a second (bursts of `burst`)
 * per event name, and says how many it held back: what clients send must
 * never make the relay write logs in proportion to it (garbage frames would
 * otherwise be amplified into disk-filling log lines). Faults stay counted in
 * the metrics, which is where their numbers belong.
 *
 * @remarks
 * Held-back lines are summed per event and reported by one `log-suppressed`
 * line (`{"suppressed":{"engine-error":1234}}`) with the next line that gets
 * through, and by {@link RateLimitedLogger.flush}.
 */
export function rateLimitedLogger(inner: Logger, options: LogRateOptions = {}): RateLimitedLogger {
  const now = options.now ?? Date.now;
  const perSecond = options.perSecond ?? 10;
  const burst = options.burst ?? 50;
  const buckets = new Map<string, TokenBucket>();
  let suppressed = new Map<string, number>();
  const flush = (): void => {
    if (suppressed.size === 0) return;
    const counts = Object.fromEntries(suppressed);
    suppressed = new Map();
    inner.warn('log-suppressed', { suppressed: counts, message: 'lines held back by the log rate limit; the metrics count every event' });
  };
  const gate =
    (level: 'info' | 'warn' | 'error') =>
    (event: string, fields?: Record<string, unknown>): void => {
      let bucket = buckets.get(event);
      if (bucket === undefined) {
        // Event names come from the relay's code, never from clients: the map stays small.
        bucket = new TokenBucket(perSecond, burst, now());
        buckets.set(event, bucket);
      }
      if (!bucket.tryTake(1, now())) {
        suppressed.set(event, (suppressed.get(event) ?? 0) + 1);
        return;
      }
      flush();
      inner[level](event, fields);
    };
  return { info: gate('info'), warn: gate('warn'), error: gate('error'), flush };
}
