import { SyncError, checkNumberOption } from '@softadastra/sync-core';

/**
 * Checks a number option (core's `checkNumberOption`).
 *
 * @internal
 */
export const checkNumber = checkNumberOption;

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
