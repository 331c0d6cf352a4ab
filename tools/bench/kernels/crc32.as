// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven, one byte per step.
// run(n): n passes over a 64 KiB PRNG buffer, each pass seeded by the previous CRC.
import { HEAP, fillRandom } from "./common";

const TABLE: usize = HEAP;            // 256 x u32
const BUF: usize = HEAP + 4096;       // 64 KiB
const LEN: usize = 65536;

function makeTable(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
    store<u32>(TABLE + (<usize>i << 2), c);
  }
}

function crc32(p: usize, len: usize, crc: u32): u32 {
  let c = ~crc;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(TABLE + (<usize>((c ^ <u32>load<u8>(p + i)) & 0xFF) << 2)) ^ (c >> 8);
  }
  return ~c;
}

export function run(n: i32): i32 {
  makeTable();
  fillRandom(BUF, LEN, 0x12345678);
  let crc: u32 = 0;
  for (let r = 0; r < n; r++) crc = crc32(BUF, LEN, crc);
  return <i32>crc;
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
