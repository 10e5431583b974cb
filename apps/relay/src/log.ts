/** A structured logger: one JSON object per line. */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Logs JSON lines to a stream (stderr by default), or nowhere. */
export function createLogger(write: ((line: string) => void) | false = (line) => process.stderr.write(line)): Logger {
  const emit = (level: string, event: string, fields: Record<string, unknown> = {}): void => {
    if (write === false) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
  };
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}
