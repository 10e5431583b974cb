import { type ByteReader, type ByteWriter, utf8Length, varintSize } from './bytes.js';
import type { JsonValue } from './operation.js';

/**
 * Binary encoding of JSON values (docs/protocol.md, "Values").
 *
 * One tag byte, then a payload:
 *
 * | tag         | value                                   |
 * |-------------|-----------------------------------------|
 * | 0x00        | null                                    |
 * | 0x01 / 0x02 | false / true                            |
 * | 0x03        | non-negative integer, varint            |
 * | 0x08        | negative integer, varint of its magnitude |
 * | 0x04        | float64, little-endian                  |
 * | 0x05        | string: varint byte length, UTF-8       |
 * | 0x06        | array: varint count, items              |
 * | 0x07        | object: varint count, (key string, value) pairs |
 * | 0x40–0x7F   | string of 0–63 UTF-8 bytes              |
 * | 0x80–0xFF   | integer 0–127                           |
 * @internal
 */

const TAG_NULL = 0x00;
const TAG_FALSE = 0x01;
const TAG_TRUE = 0x02;
const TAG_UINT = 0x03;
const TAG_FLOAT = 0x04;
const TAG_STRING = 0x05;
const TAG_ARRAY = 0x06;
const TAG_OBJECT = 0x07;
const TAG_NINT = 0x08;
const TAG_SHORT_STRING = 0x40;
const TAG_SMALL_INT = 0x80;

/** Hard recursion cap of the decoder, whatever the configured limits (stack safety). */
export const DECODE_DEPTH_CAP = 512;

/** @internal */
export function writeValue(w: ByteWriter, value: JsonValue): void {
  switch (typeof value) {
    case 'string':
      w.taggedString(value, TAG_SHORT_STRING, TAG_STRING);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        if (value >= 0) {
          if (value < 128) w.u8(TAG_SMALL_INT | value);
          else {
            w.u8(TAG_UINT);
            w.varint(value);
          }
        } else {
          w.u8(TAG_NINT);
          w.varint(-value);
        }
      } else {
        w.u8(TAG_FLOAT);
        w.f64(value);
      }
      return;
    case 'boolean':
      w.u8(value ? TAG_TRUE : TAG_FALSE);
      return;
    case 'object':
      if (value === null) {
        w.u8(TAG_NULL);
      } else if (Array.isArray(value)) {
        const array = value as readonly JsonValue[];
        w.u8(TAG_ARRAY);
        w.varint(array.length);
        for (let i = 0; i < array.length; i++) writeValue(w, array[i]!);
      } else {
        const object = value as { readonly [key: string]: JsonValue };
        const keys = Object.keys(object);
        w.u8(TAG_OBJECT);
        w.varint(keys.length);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          w.string(key);
          writeValue(w, object[key]!);
        }
      }
      return;
    default:
      // Unreachable for validated values; keeps the encoder total.
      w.u8(TAG_NULL);
  }
}

/** @internal */
export function readValue(r: ByteReader, depth: number): JsonValue {
  const tag = r.u8();
  if (tag >= TAG_SMALL_INT) return tag - TAG_SMALL_INT;
  if (tag >= TAG_SHORT_STRING) return r.stringOf(tag - TAG_SHORT_STRING);
  switch (tag) {
    case TAG_NULL:
      return null;
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_UINT:
      return r.varint();
    case TAG_NINT:
      return -r.varint();
    case TAG_FLOAT:
      return r.f64();
    case TAG_STRING:
      return r.string();
    case TAG_ARRAY: {
      if (depth >= DECODE_DEPTH_CAP) r.fail('value nested too deeply');
      const count = r.count();
      const out: JsonValue[] = new Array<JsonValue>(count);
      for (let i = 0; i < count; i++) out[i] = readValue(r, depth + 1);
      return out;
    }
    case TAG_OBJECT: {
      if (depth >= DECODE_DEPTH_CAP) r.fail('value nested too deeply');
      const count = r.count(2);
      const out: Record<string, JsonValue> = {};
      for (let i = 0; i < count; i++) {
        const key = r.string();
        const item = readValue(r, depth + 1);
        if (Object.hasOwn(out, key)) r.fail(`duplicate object key ${JSON.stringify(key.slice(0, 40))}`);
        if (key === '__proto__') {
          // Keep it as data (validation rejects it); never let it set the prototype.
          Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
        } else out[key] = item;
      }
      return out;
    }
    default:
      return r.fail(`unknown value tag 0x${tag.toString(16)}`);
  }
}

/**
 * Encoded size of a string value (tag included), or -1 for a lone surrogate.
 * @internal
 */
export function stringValueSize(s: string): number {
  const bytes = utf8Length(s);
  if (bytes < 0) return -1;
  return bytes <= 63 ? 1 + bytes : 1 + varintSize(bytes) + bytes;
}

/** Encoded size of a number value (tag included). @internal */
export function numberValueSize(n: number): number {
  if (Number.isSafeInteger(n)) {
    if (n >= 0) return n < 128 ? 1 : 1 + varintSize(n);
    return 1 + varintSize(-n);
  }
  return 9;
}
