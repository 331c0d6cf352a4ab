// Writes into guest RAM for the loaders, all through GuestMemory (src/ept/guest-memory.ts): the
// loaders never compute a host address for a guest-physical one. Every helper returns the
// GmStatus of the access, so a RAM map that disagrees with the E820 map the loader trusted is
// reported, never written around.

import { GuestMemory, GmStatus, gmWrite, gmWriteScalar } from "../../ept/guest-memory";

const ZERO_CHUNK: u64 = 4096;
/** 4 KiB of zeros in the core's static data; never written, so any CPU may copy from it. */
const ZERO_BLOCK: usize = memory.data(<i32>ZERO_CHUNK, 16);

/**
 * The first failure of a sequence of writes: `st = gmFirst(st, guestW32(...))`. Later writes of a
 * failed sequence still run (each is all-or-nothing on its own); the loader then abandons the VM.
 */
@inline export function gmFirst(prev: GmStatus, next: GmStatus): GmStatus {
  return prev != GmStatus.OK ? prev : next;
}

/** Clears guest [gpa, gpa + len), 4 KiB at a time from the static zero block. */
export function guestZero<M>(gm: GuestMemory, mem: M, gpa: u64, len: u64): GmStatus {
  if (gpa + len < gpa) return GmStatus.BAD_ARGUMENT;
  let g = gpa;
  let left = len;
  while (left != 0) {
    const n = left < ZERO_CHUNK ? left : ZERO_CHUNK;
    const st = gmWrite<M>(gm, mem, g, ZERO_BLOCK, n);
    if (st != GmStatus.OK) return st;
    g += n;
    left -= n;
  }
  return GmStatus.OK;
}

/** Copies host [src, src + len) (already bounds-checked by the caller) to guest gpa. */
@inline export function guestCopy<M>(gm: GuestMemory, mem: M, gpa: u64, src: usize, len: u64): GmStatus {
  return gmWrite<M>(gm, mem, gpa, src, len);
}

@inline export function guestW8<M>(gm: GuestMemory, mem: M, gpa: u64, v: u64): GmStatus {
  return gmWriteScalar<M>(gm, mem, gpa, 1, v);
}
@inline export function guestW16<M>(gm: GuestMemory, mem: M, gpa: u64, v: u64): GmStatus {
  return gmWriteScalar<M>(gm, mem, gpa, 2, v);
}
@inline export function guestW32<M>(gm: GuestMemory, mem: M, gpa: u64, v: u64): GmStatus {
  return gmWriteScalar<M>(gm, mem, gpa, 4, v);
}
@inline export function guestW64<M>(gm: GuestMemory, mem: M, gpa: u64, v: u64): GmStatus {
  return gmWriteScalar<M>(gm, mem, gpa, 8, v);
}
