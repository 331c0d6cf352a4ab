// The decode cache: one vCPU's last decoded MMIO instruction, by its bytes (decoder.ts). A
// driver's MMIO loop exits at the same few instructions, and decoding is a pure function of the
// instruction's bytes and the code mode (16, 32, 64): a decoder that answers OK has read exactly
// `length` bytes (SDM Vol 2 §2.1: prefixes, opcode, ModRM, SIB, displacement, immediate, in that
// order), and nothing else enters its answer. So the cache keeps the bytes of the last instruction
// decoded OK (only its own `length` bytes: two qwords under masks) with its mode and its MmioInsn,
// and an instruction whose bytes and mode are equal to them decodes to that MmioInsn. The bytes are
// fetched again on every exit (the guest may rewrite its code) and compared whole: nothing is
// trusted that was not just read. tests/vtx/decoder.test.ts checks it against the general decoder.
//
// Layout, DECODE_CACHE_SIZE bytes (caller-owned, one per vCPU; zeroed memory is empty: mode 0
// matches no mode):
//   0 bytes 0–7 (masked)   8 bytes 8–15 (masked)   16 mask of bytes 0–7   24 mask of bytes 8–15
//  32 mode (u32)   36 pad   40 MmioInsn (72)

import { MmioInsn, DecodeStatus } from "./insn";

const DC_KEY0: usize = 0;
const DC_KEY1: usize = 8;
const DC_MASK0: usize = 16;
const DC_MASK1: usize = 24;
const DC_MODE: usize = 32;
export const DC_INSN: usize = 40;
export const DECODE_CACHE_SIZE: usize = DC_INSN + offsetof<MmioInsn>();

/**
 * The cached MmioInsn (its address) when the instruction whose first 16 bytes are the qwords
 * `lo` and `hi` (little-endian; bytes past the instruction may be anything) in code mode `mode`
 * is the one cached; 0 otherwise. Invariant: the instruction's bytes were all fetched — at least
 * the cached length of them (the caller fetched 15 bytes).
 */
@inline export function decodeCacheLookup(dc: usize, lo: u64, hi: u64, mode: u32): usize {
  if ((lo & load<u64>(dc, DC_MASK0)) != load<u64>(dc, DC_KEY0)) return 0;
  if ((hi & load<u64>(dc, DC_MASK1)) != load<u64>(dc, DC_KEY1)) return 0;
  if (load<u32>(dc, DC_MODE) != mode) return 0;
  return dc + DC_INSN;
}

/**
 * Keeps `insn`, decoded OK in mode `mode` from the bytes at `code` (a 16-byte fetch buffer whose
 * first `length` bytes, 1…15, were fetched; the rest are masked off), in `dc`. Anything but an OK
 * decode is not kept.
 */
export function decodeCacheFill(dc: usize, code: usize, mode: u32, insn: MmioInsn): void {
  const len = insn.length;
  if (insn.status != DecodeStatus.OK || len - 1 >= 15) return;
  store<u32>(dc, 0, DC_MODE); // empty while it is written
  const m0: u64 = len >= 8 ? <u64>-1 : (<u64>1 << (<u64>len << 3)) - 1;
  const m1: u64 = len <= 8 ? 0 : (<u64>1 << (<u64>(len - 8) << 3)) - 1;
  store<u64>(dc, m0, DC_MASK0);
  store<u64>(dc, m1, DC_MASK1);
  store<u64>(dc, load<u64>(code) & m0, DC_KEY0);
  store<u64>(dc, load<u64>(code, 8) & m1, DC_KEY1);
  memory.copy(dc + DC_INSN, changetype<usize>(insn), offsetof<MmioInsn>());
  store<u32>(dc, mode, DC_MODE);
}
