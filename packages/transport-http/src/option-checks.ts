import { SyncError } from '@softadastra/sync-core';

/**
 * Checks a number option: a finite number, at least `min` (and an integer when asked).
 *
 * @param name - the option, for the message
 * @param value - what the caller gave
 * @param min - the smallest value allowed
 * @param integer - whether it must be an integer
 * @throws SyncError `E_INVALID_ARGUMENT`
 * @internal
 */
export function checkNumber(name: string, value: unknown, min: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isSafeInteger(value))) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Checks a base path and puts it in the form used to match requests: it
 * starts with `/` and has no trailing `/` (`'/'` becomes `''`).
 *
 * @param name - the option or parameter, for the message
 * @param value - what the caller gave, e.g. `/v1/spaces/team/http/`
 * @throws SyncError `E_INVALID_ARGUMENT` unless it is a string starting with `/`, without `?` or `#`
 * @internal
 */
export function normalizeBasePath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#]/.test(value)) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} must be a path starting with "/" (no query, no fragment), got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}
