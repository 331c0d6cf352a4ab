// Integer-only "kernel-style" AssemblyScript program: the constructs asc -O3 --runtime stub
// emits for the VMM core (loads/stores of every width and sign, i64 bit manipulation, globals,
// switch tables, indirect calls, memory.copy/fill/grow, unreachable).

@external("spectest", "print_i64") declare function printI64(x: i64): void;

let counter: u32 = 0;
let state: u64 = 0x0123456789abcdef;

const table = memory.data<u8>([0x80, 0x7f, 0xff, 0x01, 0x34, 0x12, 0xfe, 0xff, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff]);

export function loads(i: u32): i64 {
  const p = table + (i & 7);
  return <i64>load<i8>(p) + <i64>load<u8>(p) * 3 + <i64>load<i16>(p) * 5 + <i64>load<u16>(p) * 7
    + <i64>load<i32>(p) * 11 + <i64>load<u32>(p) * 13 + load<i64>(p) * 17;
}

export function stores(addr: u32, v: u64): u64 {
  const p = <usize>addr;
  store<u8>(p, <u8>v);
  store<u16>(p + 1, <u16>(v >> 8));
  store<u32>(p + 3, <u32>(v >> 24));
  store<u64>(p + 8, ~v);
  return load<u64>(p) ^ load<u64>(p + 8);
}

export function bits(x: u64, s: i32): u64 {
  const a = rotl<u64>(x, <u64>s) ^ rotr<u64>(x, <u64>(s * 3));
  const b = <u64>clz<u64>(x) + (<u64>ctz<u64>(x) << 8) + (<u64>popcnt<u64>(x) << 16);
  const c = <u64>(<u32>clz<u32>(<u32>x) + (ctz<u32>(<u32>(x >> 32)) << 8) + (popcnt<u32>(<u32>x) << 16));
  return a + (b << 32) + c + (x >>> <u64>(s & 63)) + <u64>(<i64>x >> <i64>(s & 63)) + (x << <u64>s);
}

export function cmps(a: i64, b: i64): i32 {
  let r = 0;
  if (a < b) r |= 1;
  if (<u64>a < <u64>b) r |= 2;
  if (a <= b) r |= 4;
  if (<u64>a >= <u64>b) r |= 8;
  if (<i32>a > <i32>b) r |= 16;
  if (<u32>a > <u32>b) r |= 32;
  if (a == b) r |= 64;
  r |= select<i32>(128, 0, <i32>a != 0);
  return r;
}

export function divs(a: i64, b: i64): i64 {
  return a / b + (a % b) * 1000 + <i64>(<u64>a / <u64>b) * 7 + <i64>(<i32>a / <i32>b) + <i64>(<u32>a % <u32>b);
}

function sq(x: i32): i32 { return x * x; }
function neg(x: i32): i32 { return -x; }
function twice(x: i32): i32 { return x + x; }
const ops: ((x: i32) => i32)[] = [sq, neg, twice];

export function indirect(k: i32, x: i32): i32 {
  return ops[k % 3](x);
}

export function step(): u64 {
  counter++;
  state = state * 6364136223846793005 + 1442695040888963407;
  return state ^ <u64>counter;
}

export function classify(x: i32): i32 {
  switch (x) {
    case 0: return 100;
    case 1: return 101;
    case 2: case 3: return 102;
    case 7: return 107;
    case 9: return 109;
    default: return x < 0 ? -1 : 999;
  }
}

export function sumTo(n: i32): i64 {
  let s: i64 = 0;
  for (let i = 0; i < n; i++) {
    if (i % 3 == 0) continue;
    s += <i64>i * i;
    if (s > 1000000000) break;
  }
  printI64(s);
  return s;
}

export function bulk(dst: u32, src: u32, n: u32): u32 {
  memory.fill(<usize>src, 0x5a, 4);
  memory.copy(<usize>dst, <usize>src, <usize>n);
  return load<u32>(<usize>dst);
}

export function grow(n: i32): i32 {
  const old = memory.grow(n);
  return old * 65536 + memory.size();
}

export function ext(x: i32): i64 {
  return <i64><i8>x + <i64><i16>x * 3 + <i64>x * 5 + <i64><u32>x * 7;
}

export function fail(x: i32): i32 {
  if (x > 10) unreachable();
  return x;
}

export function recurse(n: i32): i32 {
  return n == 0 ? 0 : 1 + recurse(n - 1);
}
