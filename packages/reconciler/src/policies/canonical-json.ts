import type { JsonValue } from '@softadastra/sync-core';

/**
 * A JSON text of `value` that is the same for equal values: object keys
 * sorted, no spaces, `-0` written as `0`.
 *
 * @remarks
 * Two values are the same set element exactly when their canonical texts are
 * equal (the same equality as `sameJsonValue` in core).
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(canonicalJson).join(',')}]`;
  const object = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(object).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key]!)}`).join(',')}}`;
}
