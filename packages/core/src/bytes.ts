import { SyncError } from './errors.js';

/**
 * Low-level byte writing and reading shared by the codecs.
 * @internal
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Bytes needed for `n` as an unsigned LEB128 varint. @internal */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(n / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/**
 * UTF-8 length of a string, or -1 if it holds a lone surrogate (which UTF-8
 * cannot carry: it would come back as U+FFFD and the round trip would change it).
 * @internal
 */
export function utf8Length(s: string): number {
  let bytes = 0;
  const length = s.length;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return -1;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else bytes += 3;
  }
  return bytes;
}

/** A growable output buffer. @internal */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  #view: DataView | undefined;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
  }

  ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.#view = undefined;
  }

  u8(byte: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = byte;
  }

  varint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    if (n < 0x80) {
      buf[pos++] = n;
    } else {
      while (n >= 0x80000000) {
        buf[pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
      while (n >= 0x80) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[pos++] = n;
    }
    this.pos = pos;
  }

  /** Signed integer as zigzag varint; `|n|` must stay below 2^52. */
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  f64(n: number): void {
    this.ensure(8);
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.#view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }

  u32le(n: number): void {
    this.ensure(4);
    const buf = this.buf;
    buf[this.pos] = n & 0xff;
    buf[this.pos + 1] = (n >>> 8) & 0xff;
    buf[this.pos + 2] = (n >>> 16) & 0xff;
    buf[this.pos + 3] = (n >>> 24) & 0xff;
    this.pos += 4;
  }

  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A length-prefixed UTF-8 string (lone surrogates become U+FFFD). */
  string(s: string): void {
    const length = s.length;
    // Short strings: the prefix fits in one byte whatever the encoding (3 bytes per code unit at most).
    if (length < 43) {
      this.ensure(1 + length * 3);
      const start = this.pos;
      const written = this.#utf8(s, start + 1);
      this.buf[start] = written;
      this.pos = start + 1 + written;
      return;
    }
    const bytes = utf8Length(s);
    const size = bytes >= 0 ? bytes : byteLengthLossy(s);
    this.varint(size);
    this.ensure(size);
    this.pos += this.#utf8(s, this.pos);
  }

  /**
   * A string with its length in a tag byte: `shortTag | length` when the
   * UTF-8 form has at most 63 bytes, else `longTag`, a varint length, the bytes.
   */
  taggedString(s: string, shortTag: number, longTag: number): void {
    const length = s.length;
    if (length <= 21) {
      // 21 code units are at most 63 UTF-8 bytes: always the short form.
      this.ensure(1 + length * 3);
      const start = this.pos;
      const written = this.#utf8(s, start + 1);
      this.buf[start] = shortTag | written;
      this.pos = start + 1 + written;
      return;
    }
    const bytes = utf8Length(s);
    const size = bytes >= 0 ? bytes : byteLengthLossy(s);
    if (size <= 63) this.u8(shortTag | size);
    else {
      this.u8(longTag);
      this.varint(size);
    }
    this.ensure(size);
    this.pos += this.#utf8(s, this.pos);
  }

  #utf8(s: string, at: number): number {
    const buf = this.buf;
    let pos = at;
    const length = s.length;
    for (let i = 0; i < length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[pos++] = c;
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[pos++] = 0xf0 | (c >> 18);
          buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
          buf[pos++] = 0x80 | (c & 0x3f);
        } else {
          buf[pos++] = 0xef;
          buf[pos++] = 0xbf;
          buf[pos++] = 0xbd;
        }
      } else {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      }
    }
    return pos - at;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function byteLengthLossy(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A bounds-checked input cursor; every failure is `E_DECODE`. @internal */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  #view: DataView | undefined;

  readonly #what: string;

  /** @param what - what is being decoded, for error messages */
  constructor(buf: Uint8Array, start = 0, end = buf.length, what = 'message') {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.#what = what;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(what: string): never {
    throw new SyncError('E_DECODE', `cannot decode ${this.#what}: ${what} at byte ${this.pos}`);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos++]!;
  }

  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end) {
      const first = buf[pos]!;
      if (first < 0x80) {
        this.pos = pos + 1;
        return first;
      }
    }
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= this.end) this.fail('unexpected end of data in a varint');
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (result > MAX_SAFE) this.fail('varint above 2^53');
        if (byte === 0 && i > 0) this.fail('non-canonical varint');
        this.pos = pos;
        return result;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** A count of items that each take at least `minItemBytes`: cannot exceed what is left. */
  count(minItemBytes = 1): number {
    const n = this.varint();
    if (n * minItemBytes > this.remaining) this.fail(`count ${n} exceeds the remaining ${this.remaining} bytes`);
    return n;
  }

  f64(): number {
    if (this.end - this.pos < 8) this.fail('unexpected end of data in a float');
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const value = this.#view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  u32le(): number {
    if (this.end - this.pos < 4) this.fail('unexpected end of data');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  string(): string {
    return this.stringOf(this.varint());
  }

  stringOf(length: number): string {
    if (length > this.end - this.pos) this.fail(`string of ${length} bytes exceeds the remaining ${this.end - this.pos}`);
    const buf = this.buf;
    const start = this.pos;
    const end = start + length;
    if (length <= 32) {
      let ascii = true;
      for (let i = start; i < end; i++) {
        if (buf[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.pos = end;
        // Short ASCII: building the string directly beats a TextDecoder call.
        let s = '';
        for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
        return s;
      }
    }
    try {
      const s = utf8Decoder.decode(buf.subarray(start, end));
      this.pos = end;
      return s;
    } catch (error) {
      throw new SyncError('E_DECODE', `cannot decode ${this.#what}: invalid UTF-8 at byte ${start}`, { cause: error });
    }
  }
}
