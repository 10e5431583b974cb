import { SyncError } from './errors.js';

/**
 * Checks a number option: a finite number, at least `min` (and a safe
 * integer when asked). For the options of adapters and clients.
 *
 * @param name - the option, for the message, e.g. `'reconnect.baseMs'`
 * @param value - what the caller gave
 * @param min - the smallest value allowed
 * @param integer - whether it must be an integer @default false
 * @returns `value`
 * @throws SyncError `E_INVALID_ARGUMENT`
 */
export function checkNumberOption(name: string, value: unknown, min: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isSafeInteger(value))) {
    throw new SyncError('E_INVALID_ARGUMENT', `${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`);
  }
  return value;
}
