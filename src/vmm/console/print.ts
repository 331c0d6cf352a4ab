// Console output without allocation: literals, decimal and hex numbers, raw ASCII bytes.
//
// The core never builds strings at run time (no managed allocation, src/README.md), so a line is
// printed piecewise: print("CPU: "); printDec(x); println(""). Strings are AssemblyScript string
// literals (static data, UTF-16); characters outside printable ASCII print as '?'.
// "\n" goes out as CR LF, as the boot stub's console_puts does: a serial terminal needs both.

import { uartPutByte } from "./uart16550";

/** Scratch for number formatting: 20 digits hold any u64 in decimal, 16 in hex. */
const DIGITS_MAX: i32 = 24;
const DIGITS: usize = memory.data(DIGITS_MAX);

/** Digit `i` of the scratch. Invariant: 0 <= i < DIGITS_MAX (callers count at most 20 digits). */
@inline function setDigit(i: i32, c: u32): void {
  store<u8>(DIGITS + <usize>i, <u8>c);
}
@inline function digit(i: i32): u32 {
  return <u32>load<u8>(DIGITS + <usize>i);
}

/** One byte to the console, with LF → CR LF. */
export function putChar(c: u32): void {
  if (c == 0x0a) uartPutByte(0x0d);
  uartPutByte(c);
}

/** A byte as it may appear on the console: printable ASCII, LF, or '?'. */
@inline function printable(c: u32): u32 {
  return c == 0x0a || (c >= 0x20 && c < 0x7f) ? c : 0x3f;
}

/** Prints a string (a literal: static data, never built at run time). */
export function print(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) putChar(printable(<u32>s.charCodeAt(i)));
}

/** Prints a string and a newline. */
export function println(s: string): void {
  print(s);
  putChar(0x0a);
}

/** Prints an unsigned number in decimal. */
export function printDec(value: u64): void {
  let n: i32 = 0;
  do {
    setDigit(n, 0x30 + <u32>(value % 10));
    value /= 10;
    n++;
  } while (value != 0);
  while (n > 0) {
    n--;
    putChar(digit(n));
  }
}

/** Prints "0x" and `value` in lower-case hex, zero-padded to at least `minDigits` (1..16) digits. */
export function printHex(value: u64, minDigits: i32 = 1): void {
  print("0x");
  printHexDigits(value, minDigits);
}

/** Prints `value` in lower-case hex without a prefix, zero-padded to at least `minDigits` digits. */
export function printHexDigits(value: u64, minDigits: i32 = 1): void {
  if (minDigits > 16) minDigits = 16; // a u64 has 16 nibbles; keeps n < DIGITS_MAX
  let n: i32 = 0;
  do {
    const d = <u32>(value & 0xf);
    setDigit(n, d < 10 ? 0x30 + d : 0x57 + d);
    value >>= 4;
    n++;
  } while (value != 0 || n < minDigits);
  while (n > 0) {
    n--;
    putChar(digit(n));
  }
}

/**
 * Prints `len` bytes at `ptr` as ASCII (non-printable bytes as '?'), e.g. a CPUID vendor string.
 * The caller owns the bounds: `ptr .. ptr+len` is memory it filled.
 */
export function printAscii(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    putChar(c == 0x0a ? 0x3f : printable(c));
  }
}
