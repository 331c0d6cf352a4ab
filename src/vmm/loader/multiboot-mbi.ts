// The multiboot information structure (Multiboot 0.6.96 §3.3) and what hangs off it, written as
// one block in guest RAM:
//
//   block + 0    MBI (116 bytes; fields below)            block + 128  boot GDT (40 bytes)
//   block + 176  mmap: per E820 entry { size = 20 (u32), base_addr (u64), length (u64), type }
//   then         mods: per module { mod_start, mod_end, string, reserved } (16 bytes)
//   then         strings: command line, boot loader name, module command lines (NUL-terminated)
//
// MBI fields set: flags = mem(0) | cmdline(2) | mods(3) | mmap(6) | boot_loader_name(9);
//   0 flags  4 mem_lower  8 mem_upper  16 cmdline  20 mods_count  24 mods_addr
//   44 mmap_length  48 mmap_addr  64 boot_loader_name. Everything else is 0.

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { HostBytes, hostStrLen } from "./host-bytes";
import { E820Table, E820_RAM, e820At } from "./e820";
import { guestZero, guestCopy, guestW32, guestW64, guestW8, gmFirst } from "./guest-write";

export const MBI_BYTES: u64 = 116;
export const MBI_GDT_OFFSET: u64 = 128;
export const MBI_MMAP_OFFSET: u64 = 176;
export const MMAP_ENTRY_BYTES: u64 = 24;
export const MOD_ENTRY_BYTES: u64 = 16;
export const MBI_FLAG_MEM: u32 = 1 << 0;
export const MBI_FLAG_CMDLINE: u32 = 1 << 2;
export const MBI_FLAG_MODS: u32 = 1 << 3;
export const MBI_FLAG_MMAP: u32 = 1 << 6;
export const MBI_FLAG_LOADER_NAME: u32 = 1 << 9;
const LOADER_NAME: string = "tshv";
/** moduleCmdBytes scans no further than this + 1 (multiboot.ts refuses longer: MB_MAX_STRING). */
const MODULE_CMD_MAX: u64 = 0x10000;
const LOADER_NAME_BYTES: u64 = 5;

/**
 * One module the VMM hands the kernel. 40 bytes (host addresses, checked by the loader):
 *   0 image   8 len   16 cmdline   24 cmdlineLen (the bytes before the first NUL count)
 *   32 gpa: filled by the loader, where the module went in guest RAM
 */
@unmanaged export class MbModule {
  image: u64;
  len: u64;
  cmdline: u64;
  cmdlineLen: u64;
  gpa: u64;
}

/** Module `i` of the array at `mods`. Invariant: i < the caller's count (checked <= MB_MAX_MODULES). */
@inline export function mbModuleAt(mods: usize, i: u32): MbModule {
  return changetype<MbModule>(mods + <usize>i * offsetof<MbModule>());
}

/** Length of a module's command line (bytes before its first NUL). Invariant: the caller checked
 *  hostSpanValid(m.cmdline, m.cmdlineLen). */
export function moduleCmdBytes(m: MbModule): u64 {
  return hostStrLen(changetype<HostBytes>(changetype<usize>(m) + offsetof<MbModule>("cmdline")), MODULE_CMD_MAX);
}

/** KiB of RAM from 0 (mem_lower, at most 640) and from 1 MiB to the first hole (mem_upper). */
function memLowerUpper(t: E820Table, upper: bool): u64 {
  const at: u64 = upper ? 0x100000 : 0;
  for (let i: u32 = 0; i < t.count; i++) {
    const e = e820At(t, i);
    if (e.type != E820_RAM || at < e.addr || at - e.addr >= e.size) continue;
    const kib = (e.addr + e.size - at) >> 10;
    if (!upper) return kib < 640 ? kib : 640;
    return kib < 0xFFFF_FFFF ? kib : 0xFFFF_FFFF;
  }
  return 0;
}

/** Bytes of the block for `t`, `nmods` modules and `strings` bytes of strings (with NULs). */
export function mbiBlockBytes(t: E820Table, nmods: u32, strings: u64): u64 {
  return MBI_MMAP_OFFSET + <u64>t.count * MMAP_ENTRY_BYTES + <u64>nmods * MOD_ENTRY_BYTES + strings + LOADER_NAME_BYTES;
}

/**
 * Writes the block at guest `base` (mbiBlockBytes of RAM below 4 GiB, checked by the caller).
 * `cmd`/`cmdBytes`: the kernel's command line in host memory; `mods` the modules, already
 * placed (MbModule.gpa) and copied. `strings`
 * passed to mbiBlockBytes must be cmdBytes + 1 + the sum of moduleCmdBytes + 1. Returns the
 * first failed write.
 */
export function writeMbi<M>(
  gm: GuestMemory, mem: M, base: u64, t: E820Table, cmd: usize, cmdBytes: u64,
  mods: usize, nmods: u32,
): GmStatus {
  let st = guestZero<M>(gm, mem, base, MBI_MMAP_OFFSET);
  const mmap = base + MBI_MMAP_OFFSET;
  const mmapBytes = <u64>t.count * MMAP_ENTRY_BYTES;
  for (let i: u32 = 0; i < t.count; i++) {
    const e = e820At(t, i);
    const at = mmap + <u64>i * MMAP_ENTRY_BYTES;
    // "size" counts the bytes after itself (§3.3: entry size 20 for base, length and type).
    st = gmFirst(st, guestW32<M>(gm, mem, at, 20));
    st = gmFirst(st, guestW64<M>(gm, mem, at + 4, e.addr));
    st = gmFirst(st, guestW64<M>(gm, mem, at + 12, e.size));
    st = gmFirst(st, guestW32<M>(gm, mem, at + 20, e.type));
  }
  const modTable = mmap + mmapBytes;
  let str = modTable + <u64>nmods * MOD_ENTRY_BYTES;
  // Strings: kernel command line, loader name, then one per module.
  const cmdAddr = str;
  st = gmFirst(st, guestCopy<M>(gm, mem, str, cmd, cmdBytes));
  st = gmFirst(st, guestW8<M>(gm, mem, str + cmdBytes, 0));
  str += cmdBytes + 1;
  const nameAddr = str;
  for (let i: u64 = 0; i < LOADER_NAME_BYTES - 1; i++) {
    st = gmFirst(st, guestW8<M>(gm, mem, str + i, <u64>LOADER_NAME.charCodeAt(<i32>i)));
  }
  st = gmFirst(st, guestW8<M>(gm, mem, str + LOADER_NAME_BYTES - 1, 0));
  str += LOADER_NAME_BYTES;
  for (let i: u32 = 0; i < nmods; i++) {
    const m = mbModuleAt(mods, i);
    const start = m.gpa;
    const at = modTable + <u64>i * MOD_ENTRY_BYTES;
    st = gmFirst(st, guestW32<M>(gm, mem, at, start));
    st = gmFirst(st, guestW32<M>(gm, mem, at + 4, start + m.len));
    st = gmFirst(st, guestW32<M>(gm, mem, at + 8, str));
    st = gmFirst(st, guestW32<M>(gm, mem, at + 12, 0));
    const n = moduleCmdBytes(m);
    st = gmFirst(st, guestCopy<M>(gm, mem, str, <usize>m.cmdline, n));
    st = gmFirst(st, guestW8<M>(gm, mem, str + n, 0));
    str += n + 1;
  }
  const flags = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME;
  st = gmFirst(st, guestW32<M>(gm, mem, base, flags));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 4, memLowerUpper(t, false)));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 8, memLowerUpper(t, true)));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 16, cmdAddr));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 20, nmods));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 24, modTable));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 44, mmapBytes));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 48, mmap));
  st = gmFirst(st, guestW32<M>(gm, mem, base + 64, nameAddr));
  return st;
}
