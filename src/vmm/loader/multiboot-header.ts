// The multiboot header of an OS image (Multiboot Specification 0.6.96, §3.1): found, checksummed
// and its flags and address fields checked. The image is hostile input: every offset is checked
// against its length before it is read.
//
//   offset 0 magic 0x1BADB002   4 flags   8 checksum (magic + flags + checksum = 0 mod 2^32)
//   present if flags[16]: 12 header_addr   16 load_addr   20 load_end_addr   24 bss_end_addr
//                         28 entry_addr
//   present if flags[2]:  32 mode_type   36 width   40 height   44 depth

import { HostBytes, hostFits, hostU32 } from "./host-bytes";

export const MB_HEADER_MAGIC: u32 = 0x1BADB002;
/** §3.1.1: "The Multiboot header must be contained completely within the first 8192 bytes". */
export const MB_SEARCH_BYTES: u64 = 8192;
export const MB_FLAG_PAGE_ALIGN: u32 = 1 << 0;
export const MB_FLAG_MEMORY_INFO: u32 = 1 << 1;
export const MB_FLAG_VIDEO_MODE: u32 = 1 << 2;
export const MB_FLAG_ADDRESSES: u32 = 1 << 16;
/** Required-feature bits (§3.1.2, bits 0-15) this loader honours; bit 2 is accepted but ignored. */
export const MB_FLAGS_KNOWN_REQUIRED: u32 = MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE;
const BASE_HEADER_BYTES: u64 = 12;
const ADDRESS_HEADER_BYTES: u64 = 32;

export const enum MbHeaderStatus {
  OK = 0,
  NO_HEADER = 3,
  BAD_CHECKSUM = 4,
  UNSUPPORTED_FLAGS = 5,
  TRUNCATED_HEADER = 6,
  BAD_ADDRESSES = 7,
}

/**
 * What the header says. 48 bytes:
 *   0 offset (of the header in the file)   8 flags (u32)   12 _pad
 *   a.out kludge (flags[16]), checked by checkKludge:
 *   16 loadOffset (file offset of load_addr)   24 loadBytes   32 loadAddr (u32)   36 memEnd (u32:
 *   bss_end_addr, or the end of the loaded bytes without bss)   40 entry (u32)   44 _pad2
 */
@unmanaged export class MbHeader {
  offset: u64;
  flags: u32;
  _pad: u32;
  loadOffset: u64;
  loadBytes: u64;
  loadAddr: u32;
  memEnd: u32;
  entry: u32;
  _pad2: u32;
}

/**
 * Finds the first header with a valid checksum at a 4-byte aligned offset in the first 8192
 * bytes (§3.1.1) and checks its flags (§3.1.2: "If bits in [0-15] are set that the boot loader
 * does not understand, it must fail"). `detail` receives the offending value on failure.
 */
export function findMbHeader(img: HostBytes, h: MbHeader, detail: usize): MbHeaderStatus {
  let sawMagic = false;
  let badAt: u64 = 0;
  for (let off: u64 = 0; off < MB_SEARCH_BYTES && hostFits(img, off, BASE_HEADER_BYTES); off += 4) {
    const magic = hostU32(img, off);
    if (magic != MB_HEADER_MAGIC) continue;
    const flags = hostU32(img, off + 4);
    if (magic + flags + hostU32(img, off + 8) != 0) {
      if (!sawMagic) badAt = off;
      sawMagic = true;
      continue;
    }
    const unknown = flags & 0xFFFF & ~MB_FLAGS_KNOWN_REQUIRED;
    if (unknown != 0) return fail(detail, unknown, MbHeaderStatus.UNSUPPORTED_FLAGS);
    if ((flags & MB_FLAG_ADDRESSES) != 0 && !hostFits(img, off, ADDRESS_HEADER_BYTES)) {
      return fail(detail, off, MbHeaderStatus.TRUNCATED_HEADER);
    }
    h.offset = off;
    h.flags = flags;
    return MbHeaderStatus.OK;
  }
  return sawMagic ? fail(detail, badAt, MbHeaderStatus.BAD_CHECKSUM) : MbHeaderStatus.NO_HEADER;
}

/**
 * Checks the address fields of a flags[16] header (§3.1.3) and fills the kludge part of `h`:
 * load_addr <= header_addr, with the header's file offset mapping to header_addr; load_end_addr 0
 * meaning "to the end of the file"; bss_end_addr 0 meaning "no bss"; entry inside the image.
 */
export function checkKludge(img: HostBytes, h: MbHeader, detail: usize): MbHeaderStatus {
  const off = h.offset;
  const headerAddr = <u64>hostU32(img, off + 12);
  const loadAddr = <u64>hostU32(img, off + 16);
  const loadEnd = <u64>hostU32(img, off + 20);
  const bssEnd = <u64>hostU32(img, off + 24);
  const entry = <u64>hostU32(img, off + 28);
  // "the offset in the OS image file at which to start loading is defined by the offset at which
  // the header was found, minus (header_addr - load_addr)".
  if (loadAddr > headerAddr || headerAddr - loadAddr > off) return fail(detail, loadAddr, MbHeaderStatus.BAD_ADDRESSES);
  const loadOffset = off - (headerAddr - loadAddr);
  const fileLeft = img.len - loadOffset;
  let loadBytes = fileLeft;
  if (loadEnd != 0) {
    if (loadEnd <= loadAddr || loadEnd - loadAddr > fileLeft) return fail(detail, loadEnd, MbHeaderStatus.BAD_ADDRESSES);
    loadBytes = loadEnd - loadAddr;
  }
  if (loadAddr + loadBytes > 0xFFFF_FFFF) return fail(detail, loadAddr + loadBytes, MbHeaderStatus.BAD_ADDRESSES);
  let memEnd = loadAddr + loadBytes;
  if (bssEnd != 0) {
    if (bssEnd < memEnd) return fail(detail, bssEnd, MbHeaderStatus.BAD_ADDRESSES);
    memEnd = bssEnd;
  }
  if (entry < loadAddr || entry >= memEnd) return fail(detail, entry, MbHeaderStatus.BAD_ADDRESSES);
  h.loadOffset = loadOffset;
  h.loadBytes = loadBytes;
  h.loadAddr = <u32>loadAddr;
  h.memEnd = <u32>memEnd;
  h.entry = <u32>entry;
  return MbHeaderStatus.OK;
}

/** The cell at `detail` receives `value`. Invariant: detail is 8 writable bytes the caller owns. */
@inline function fail(detail: usize, value: u64, s: MbHeaderStatus): MbHeaderStatus {
  store<u64>(detail, value);
  return s;
}
