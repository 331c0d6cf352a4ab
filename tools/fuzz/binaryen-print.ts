// Prints wasm values exactly as binaryen's interpreter does in `wasm-opt --fuzz-exec-before`
// output (binaryen 132: src/wasm/literal.cpp `operator<<(Literal)`, `printFloat`, `printDouble`,
// and src/emscripten-optimizer/simple_ast.h `JSPrinter::numToString`), so our engines' fuzz-exec
// lines diff cleanly against it. Integers print as signed decimals; floats print through
// numToString, which tries C `printf("%.Nf")` and `printf("%.Ne")` for the fewest digits that read
// back exactly and keeps the shorter form, with its own digit-trimming rules reproduced here.
// printf is emulated with exact BigInt arithmetic (round half to even, as C libraries do).

import { type WasmValue, f32FromBits, f64FromBits } from "../wasm-spec/values.ts";

/** d = num / den exactly (d finite, > 0). */
function exactRational(d: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const exp = (biased === 0 ? 1 : biased) - 1075;
  return exp >= 0 ? { num: mant << BigInt(exp), den: 1n } : { num: mant, den: 1n << BigInt(-exp) };
}

/** num/den rounded to an integer, ties to even. */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num - q * den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** C `printf("%.<prec>f", d)` for finite d ≥ 0. */
export function printfFixed(d: number, prec: number): string {
  if (d === 0) return prec > 0 ? `0.${"0".repeat(prec)}` : "0";
  const { num, den } = exactRational(d);
  const q = roundHalfEven(num * pow10(prec), den).toString().padStart(prec + 1, "0");
  return prec > 0 ? `${q.slice(0, -prec)}.${q.slice(-prec)}` : q;
}

/** C `printf("%.<prec>e", d)` for finite d ≥ 0. */
export function printfExp(d: number, prec: number): string {
  let digits: bigint;
  let e: number;
  if (d === 0) {
    digits = 0n;
    e = 0;
  } else {
    const { num, den } = exactRational(d);
    e = Math.floor(Math.log10(d));
    // log10 may be off by one near powers of ten: fix e so that 10^e ≤ d < 10^(e+1) exactly.
    const geq = (k: number): boolean => (k >= 0 ? num >= den * pow10(k) : num * pow10(-k) >= den);
    while (!geq(e)) e--;
    while (geq(e + 1)) e++;
    const shift = prec - e;
    digits = shift >= 0 ? roundHalfEven(num * pow10(shift), den) : roundHalfEven(num, den * pow10(-shift));
    if (digits === pow10(prec + 1)) {
      digits = pow10(prec);
      e++;
    }
  }
  const s = digits.toString().padStart(prec + 1, "0");
  const mantissa = prec > 0 ? `${s[0]}.${s.slice(1)}` : s;
  const expText = Math.abs(e).toString().padStart(2, "0");
  return `${mantissa}e${e < 0 ? "-" : "+"}${expText}`;
}

const UINT64_MAX = 2n ** 64n - 1n;

/** One candidate of numToString: the printed text and how far it reads back from d. */
function candidate(d: number, sci: boolean, integer: boolean): { text: string; err: number } {
  let buf: string;
  let temp: number;
  if (!integer) {
    buf = "";
    temp = NaN;
    for (let i = 0; i <= 18; i++) {
      buf = sci ? printfExp(d, i) : printfFixed(d, i);
      temp = Number(buf);
      if (temp === d) break;
    }
  } else if (d <= 2 ** 64) {
    // isUInteger64: compared against UINT64_MAX converted to double (2^64), then clamped.
    const u = d < 2 ** 64 ? BigInt(d) : UINT64_MAX;
    buf = u.toString();
    temp = Number(buf);
  } else {
    buf = sci ? printfExp(d, 6) : printfFixed(d, 0);
    temp = Number(buf);
  }
  const err = Math.abs(temp - d);

  const dot = buf.indexOf(".");
  if (dot >= 0) {
    // Drop trailing zeros of the fraction, then every leading zero of the whole text.
    let end = dot + 1;
    while (end < buf.length && buf[end]! >= "0" && buf[end]! <= "9") end++;
    end--;
    while (buf[end] === "0") {
      buf = buf.slice(0, end) + buf.slice(end + 1);
      end--;
    }
    buf = buf.replace(/^0+/, "");
  } else if (!integer || !sci) {
    // 12345000 → 12345e3; beyond 24 digits the tail goes even when not zero.
    const end = buf.length - 1;
    let test = end;
    while ((buf[test] === "0" || test > 24) && test > 0) test--;
    const n = end - test;
    if (n >= 3) buf = `${buf.slice(0, test + 1)}e${n}`;
  }
  return { text: buf, err };
}

/** cashew::JSPrinter::numToString(d, finalize = true) for finite d. */
export function numToString(d: number): string {
  const neg = d < 0;
  const x = neg ? -d : d;
  const integer = x % 1 === 0;
  const f = candidate(x, false, integer);
  const e = candidate(x, true, integer);
  let ret: string;
  if (e.err === f.err) ret = e.text.length < f.text.length ? e.text : f.text;
  else ret = e.err < f.err ? e.text : f.text;
  return neg ? `-${ret}` : ret;
}

function nanText(negative: boolean, payload: bigint): string {
  return `${negative ? "-" : ""}nan:0x${payload.toString(16)}`;
}

/** Literal::printDouble. */
export function printDouble(d: number): string {
  if (d === 0 && Object.is(d, -0)) return "-0";
  if (!Number.isFinite(d)) return d > 0 ? "inf" : "-inf";
  const text = numToString(d);
  if (text.startsWith(".")) return `0${text}`;
  if (text.startsWith("-.")) return `-0${text.slice(1)}`;
  return text;
}

/** Literal's `operator<<` for the numeric types, as the fuzz-exec lines show it. */
export function binaryenValue(v: WasmValue): string {
  switch (v.type) {
    case "i32":
      return BigInt.asIntN(32, v.bits).toString();
    case "i64":
      return BigInt.asIntN(64, v.bits).toString();
    case "f32": {
      const x = f32FromBits(v.bits);
      return Number.isNaN(x) ? nanText((v.bits >> 31n) === 1n, v.bits & 0x7fffffn) : printDouble(x);
    }
    case "f64": {
      const x = f64FromBits(v.bits);
      return Number.isNaN(x) ? nanText((v.bits >> 63n) === 1n, v.bits & 0xfffffffffffffn) : printDouble(x);
    }
  }
}

/**
 * A fuzzing-support log line's arguments: an i64 is logged as two i32 halves, low then high
 * (execution-results.h: "treat a logging of an i64 as two i32s", matching JS legalization).
 */
export function logArguments(values: readonly WasmValue[]): string {
  return values
    .map((v) =>
      v.type === "i64"
        ? `${BigInt.asIntN(32, v.bits & 0xffffffffn)} ${BigInt.asIntN(32, v.bits >> 32n)}`
        : binaryenValue(v),
    )
    .map((s) => ` ${s}`)
    .join("");
}
