// The MMIO test device of docs/guest-protocol.md, at guest-physical 0xFEB00000 (4 KiB). Every
// access reaches it through an EPT violation that the hypervisor decodes and emulates, so it is
// the end-to-end check of that path. Registers (little-endian):
//
//   +0x00 ID       u32, read-only: 0x76687374 ("tshv")
//   +0x08 SCRATCH  u64, read/write, 8/16/32/64-bit accesses at their natural offsets
//   +0x10 WRITES   u32, read-only: number of write accesses to SCRATCH so far
//
// An access must be naturally aligned and lie inside one register; anything else (and every
// unimplemented offset) reads 0 and ignores writes, as the protocol says. Writes to read-only
// registers are ignored and not counted.
//
// State (caller-owned, 16 bytes): +0 scratch (u64)  +8 writes (u32)  +12 pad

export const TESTDEV_GPA: u64 = 0xFEB00000;
export const TESTDEV_SIZE: u64 = 0x1000;
export const TESTDEV_ID_VALUE: u32 = 0x76687374;
export const TESTDEV_REG_ID: u32 = 0x00;
export const TESTDEV_REG_SCRATCH: u32 = 0x08;
export const TESTDEV_REG_WRITES: u32 = 0x10;

@unmanaged export class TestDev {
  scratch: u64;
  writes: u32;
  _pad: u32;
}

export function testdevReset(dev: TestDev): void {
  dev.scratch = 0;
  dev.writes = 0;
  dev._pad = 0;
}

/** Whether [off, off + size) is naturally aligned and inside the register at `reg` of `regSize`. */
@inline function within(off: u32, size: u32, reg: u32, regSize: u32): bool {
  return (off & (size - 1)) == 0 && off >= reg && off + size <= reg + regSize;
}

/** Low `size` bytes of `v` shifted down by the access's offset inside the register. */
@inline function slice(v: u64, off: u32, reg: u32, size: u32): u64 {
  const shifted = v >> (<u64>(off - reg) * 8);
  return size >= 8 ? shifted : shifted & ((<u64>1 << (<u64>size * 8)) - 1);
}

/** A read of `size` bytes (1, 2, 4, 8) at offset `off`. */
export function testdevRead(dev: TestDev, off: u32, size: u32): u64 {
  if (within(off, size, TESTDEV_REG_ID, 4)) return slice(<u64>TESTDEV_ID_VALUE, off, TESTDEV_REG_ID, size);
  if (within(off, size, TESTDEV_REG_SCRATCH, 8)) return slice(dev.scratch, off, TESTDEV_REG_SCRATCH, size);
  if (within(off, size, TESTDEV_REG_WRITES, 4)) return slice(<u64>dev.writes, off, TESTDEV_REG_WRITES, size);
  return 0;
}

/** All-ones of 0…8 bytes (then all-ones up to 15): the bits of an access of each size. */
const SIZE_MASKS: usize = memory.data<u64>([
  0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFF_FFFFFFFF, 0xFFFF_FFFFFFFF, 0xFFFFFF_FFFFFFFF,
  0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF,
  0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF, 0xFFFFFFFF_FFFFFFFF,
]);

/**
 * A write of the low `size` bytes (1, 2, 4 or 8) of `value` at offset `off`. Only SCRATCH takes
 * writes: an aligned access (off a multiple of size) that starts in [8, 16) also ends there, so
 * two checks say "inside SCRATCH". The access's bytes land at their place in the register.
 * Inline: the MMIO exit path (exits/ept.ts eptStore) performs it without a call.
 */
@inline export function testdevWrite(dev: TestDev, off: u32, size: u32, value: u64): void {
  if (off - TESTDEV_REG_SCRATCH >= 8) return;
  if ((off & (size - 1)) != 0) return;
  const shift = <u64>(off & 7) << 3;
  const mask = load<u64>(SIZE_MASKS + (<usize>(size & 15) << 3)) << shift;
  // The bits under `mask` from the value, the rest kept: old ^ ((old ^ new) & mask).
  const old = dev.scratch;
  dev.scratch = old ^ ((old ^ (value << shift)) & mask);
  dev.writes++;
}
