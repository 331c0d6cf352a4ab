// Binary reader for the wasm encoding (WebAssembly Core Specification §5.1-5.2: LEB128 integers,
// IEEE 754 little-endian floats, UTF-8 names; a leading U+FEFF is part of a name, not a BOM). Errors carry the byte offset and the caller's
// notion of "where" (section / function), set through `where`.

import { CompileError } from "./errors.ts";

export class Reader {
  pos: number;
  where = "module header";

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
  }

  fail(detail: string, at = this.pos): never {
    throw new CompileError(this.where, at, detail);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail("unexpected end of data");
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 of at most `bits` bits (§5.2.2): overlong or oversized encodings are errors. */
  private uleb(bits: number): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail("integer representation too long", start);
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1 && b >> (bits - 7 * i) !== 0) this.fail("integer too large", start);
        return result;
      }
    }
  }

  /** Signed LEB128 of at most `bits` bits; unused bits of the last byte must be a sign extension. */
  private sleb(bits: number): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail("integer representation too long", start);
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          const used = bits - 7 * i; // bits of this byte that carry the value (incl. sign)
          const rest = (b & 0x7f) >> (used - 1); // sign bit and the unused bits above it
          if (rest !== 0 && rest !== (0x7f >> (used - 1))) this.fail("integer too large", start);
        }
        if (b & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }

  u32(): number {
    return Number(this.uleb(32));
  }
  s32(): number {
    return Number(this.sleb(32));
  }
  s33(): number {
    return Number(this.sleb(33));
  }
  s64(): bigint {
    return this.sleb(64);
  }

  f32bits(): number {
    const v = this.bytesN(4);
    return (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0;
  }

  f64bits(): bigint {
    const v = this.bytesN(8);
    let r = 0n;
    for (let i = 7; i >= 0; i--) r = (r << 8n) | BigInt(v[i]!);
    return r;
  }

  bytesN(n: number): Uint8Array {
    if (n > this.end - this.pos) this.fail(`unexpected end of data (need ${n} bytes)`);
    const r = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  name(): string {
    const at = this.pos;
    const len = this.u32();
    const b = this.bytesN(len);
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(b);
    } catch {
      this.fail("malformed UTF-8 encoding", at);
    }
  }
}
