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
 * | 0x09        | shaped object: varint shape index, values (inside a batch) |
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
const TAG_SHAPED = 0x09;
const TAG_SHORT_STRING = 0x40;
const TAG_SMALL_INT = 0x80;

/** Hard recursion cap of the decoder, whatever the configured limits (stack safety). */
export const DECODE_DEPTH_CAP = 512;

/**
 * Most shapes one batch registers; later objects are written in full. Keeps a
 * shape index within two varint bytes, so that a shaped object is never
 * larger than its plain encoding.
 * @internal
 */
export const MAX_SHAPES = 16384;

/**
 * Most UTF-16 code units of object keys and operation keys that one batch may
 * take from earlier bytes (shape references and key prefixes together).
 * Encoders write in full beyond it and decoders refuse more, so that a small
 * hostile batch cannot decode into a huge amount of key text to validate.
 * @internal
 */
export const MAX_BATCH_EXPANSION = 2 ** 24;

interface ShapeNode {
  /** Index of the shape that ends here, or -1. */
  index: number;
  /** Total UTF-16 length of the shape's keys. */
  units: number;
  children: Map<string, ShapeNode> | undefined;
}

function newNode(): ShapeNode {
  return { index: -1, units: 0, children: undefined };
}

/**
 * The batch-scoped state of the encoder: the object shapes seen so far (a trie
 * over the ordered keys, so a lookup joins no strings) and the expansion budget.
 * @internal
 */
export class ShapeWriter {
  readonly #root: ShapeNode = newNode();
  #count = 0;
  /** Code units left of {@link MAX_BATCH_EXPANSION}. */
  budget = MAX_BATCH_EXPANSION;

  /** The registered shape with exactly these keys in this order, if any. */
  find(keys: readonly string[]): ShapeNode | undefined {
    let node: ShapeNode | undefined = this.#root;
    for (let i = 0; i < keys.length; i++) {
      node = node.children?.get(keys[i]!);
      if (node === undefined) return undefined;
    }
    return node.index >= 0 ? node : undefined;
  }

  /**
   * Registers the keys of an object just written in full. Every such object
   * with at least one key takes the next index, as in the decoder, even when
   * its key list is already known (the trie keeps the first index).
   */
  register(keys: readonly string[]): void {
    if (this.#count >= MAX_SHAPES) return;
    const index = this.#count++;
    let node = this.#root;
    let units = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      units += key.length;
      node.children ??= new Map();
      let child = node.children.get(key);
      if (child === undefined) {
        child = newNode();
        node.children.set(key, child);
      }
      node = child;
    }
    if (node.index < 0) {
      node.index = index;
      node.units = units;
    }
  }
}

/** A registered shape, decoder side. */
interface Shape {
  readonly keys: readonly string[];
  readonly units: number;
}

/**
 * The batch-scoped state of the decoder, mirroring {@link ShapeWriter}.
 * @internal
 */
export class ShapeReader {
  readonly shapes: Shape[] = [];
  /** Code units left of {@link MAX_BATCH_EXPANSION}. */
  budget = MAX_BATCH_EXPANSION;

  register(keys: readonly string[]): void {
    if (this.shapes.length >= MAX_SHAPES) return;
    let units = 0;
    for (let i = 0; i < keys.length; i++) units += keys[i]!.length;
    this.shapes.push({ keys, units });
  }
}

/**
 * Writes a value. With `shapes` (inside a batch), an object whose key list was
 * written before is written as `TAG_SHAPED`, shape index, values.
 * @internal
 */
export function writeValue(w: ByteWriter, value: JsonValue, shapes?: ShapeWriter): void {
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
        for (let i = 0; i < array.length; i++) writeValue(w, array[i]!, shapes);
      } else {
        const object = value as { readonly [key: string]: JsonValue };
        const keys = Object.keys(object);
        if (shapes !== undefined && keys.length > 0) {
          const shape = shapes.find(keys);
          if (shape !== undefined && shape.units <= shapes.budget) {
            shapes.budget -= shape.units;
            w.u8(TAG_SHAPED);
            w.varint(shape.index);
            for (let i = 0; i < keys.length; i++) writeValue(w, object[keys[i]!]!, shapes);
            return;
          }
        }
        w.u8(TAG_OBJECT);
        w.varint(keys.length);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          w.string(key);
          writeValue(w, object[key]!, shapes);
        }
        // After the values: nested objects take lower indices, as when decoding.
        if (shapes !== undefined && keys.length > 0) shapes.register(keys);
      }
      return;
    default:
      // Unreachable for validated values; keeps the encoder total.
      w.u8(TAG_NULL);
  }
}

/**
 * Reads a value. `shapes` is the batch's shape table; without it a shaped
 * object is an error.
 * @internal
 */
export function readValue(r: ByteReader, depth: number, shapes?: ShapeReader): JsonValue {
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
      for (let i = 0; i < count; i++) out[i] = readValue(r, depth + 1, shapes);
      return out;
    }
    case TAG_OBJECT: {
      if (depth >= DECODE_DEPTH_CAP) r.fail('value nested too deeply');
      const count = r.count(2);
      const out: Record<string, JsonValue> = {};
      const keys: string[] | undefined = shapes !== undefined && count > 0 ? new Array<string>(count) : undefined;
      for (let i = 0; i < count; i++) {
        const key = r.string();
        const item = readValue(r, depth + 1, shapes);
        if (Object.hasOwn(out, key)) r.fail(`duplicate object key ${JSON.stringify(key.slice(0, 40))}`);
        setKey(out, key, item);
        if (keys !== undefined) keys[i] = key;
      }
      // After the values, as the encoder registers it.
      if (keys !== undefined) shapes!.register(keys);
      return out;
    }
    case TAG_SHAPED: {
      if (depth >= DECODE_DEPTH_CAP) r.fail('value nested too deeply');
      const index = r.varint();
      const shape = shapes?.shapes[index];
      if (shape === undefined) r.fail(`unknown shape index ${index}`);
      if (shape.units > shapes!.budget) r.fail('shapes and key prefixes expand beyond the batch limit');
      shapes!.budget -= shape.units;
      const keys = shape.keys;
      const out: Record<string, JsonValue> = {};
      for (let i = 0; i < keys.length; i++) setKey(out, keys[i]!, readValue(r, depth + 1, shapes));
      return out;
    }
    default:
      return r.fail(`unknown value tag 0x${tag.toString(16)}`);
  }
}

function setKey(out: Record<string, JsonValue>, key: string, item: JsonValue): void {
  if (key === '__proto__') {
    // Keep it as data (validation rejects it); never let it set the prototype.
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  } else out[key] = item;
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
