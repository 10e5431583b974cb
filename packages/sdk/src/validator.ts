import { SyncError } from '@softadastra/sync-core';

/**
 * A Standard Schema (https://standardschema.dev): zod, valibot, arktype…
 * implement it. Only the part used here is declared.
 */
export interface StandardSchema<T> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<T> | Promise<StandardResult<T>>;
  };
}

/** The result of a Standard Schema validation. */
export type StandardResult<T> =
  | { readonly value: T; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/**
 * What checks values before they are written: a function that returns the
 * value (or throws), or any Standard Schema.
 */
export type Validator<T> = ((value: unknown) => T) | StandardSchema<T>;

/**
 * Runs a validator: returns the value to store, or a promise of it for
 * asynchronous schemas.
 *
 * @throws SyncError `E_INVALID_VALUE` with the validator's message
 */
export function runValidator<T>(validator: Validator<T>, value: unknown, where: string): T | Promise<T> {
  if (typeof validator === 'function') {
    try {
      return validator(value);
    } catch (error) {
      throw new SyncError('E_INVALID_VALUE', `${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const result = validator['~standard'].validate(value);
  return result instanceof Promise ? result.then((r) => unwrap(r, where)) : unwrap(result, where);
}

function unwrap<T>(result: StandardResult<T>, where: string): T {
  if (result.issues === undefined) return result.value;
  const detail = result.issues
    .map((issue) => {
      const path = issue.path?.map((part) => (typeof part === 'object' ? String(part.key) : String(part))).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
  throw new SyncError('E_INVALID_VALUE', `${where}: ${detail}`);
}

