// The bzImage setup header (Linux Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"
// and "Details of Header Fields"): offsets, and the validation a loader that uses the 64-bit boot
// protocol must do before it trusts any of it. The image is hostile input: every field is range-
// checked here, once, and the loader uses only the checked copy (LinuxHeader).
//
// Header fields read (offset, size, protocol version that introduced them):
//
//   0x1F1 setup_sects u8          0x1F4 syssize u32 (2.04)   0x1FE boot_flag u16 = 0xAA55
//   0x200 jump u16 (EB xx)        0x202 header "HdrS"        0x206 version u16
//   0x211 loadflags u8            0x22C initrd_addr_max u32 (2.03)
//   0x230 kernel_alignment u32 (2.05)   0x234 relocatable_kernel u8 (2.05)
//   0x235 min_alignment u8 (2.10)       0x236 xloadflags u16 (2.12)
//   0x238 cmdline_size u32 (2.06)       0x248 payload_offset u32, 0x24C payload_length u32 (2.08)
//   0x258 pref_address u64 (2.10)       0x260 init_size u32 (2.10)

import { HostBytes, hostFits, hostU8, hostU16, hostU32, hostU64 } from "./host-bytes";

export const HDR_SETUP_SECTS: u64 = 0x1F1;
export const HDR_SYSSIZE: u64 = 0x1F4;
export const HDR_BOOT_FLAG: u64 = 0x1FE;
export const HDR_JUMP: u64 = 0x200;
export const HDR_MAGIC: u64 = 0x202;
export const HDR_VERSION: u64 = 0x206;
export const HDR_TYPE_OF_LOADER: u64 = 0x210;
export const HDR_LOADFLAGS: u64 = 0x211;
export const HDR_CODE32_START: u64 = 0x214;
export const HDR_RAMDISK_IMAGE: u64 = 0x218;
export const HDR_RAMDISK_SIZE: u64 = 0x21C;
export const HDR_HEAP_END_PTR: u64 = 0x224;
export const HDR_CMD_LINE_PTR: u64 = 0x228;
export const HDR_INITRD_ADDR_MAX: u64 = 0x22C;
export const HDR_KERNEL_ALIGNMENT: u64 = 0x230;
export const HDR_RELOCATABLE: u64 = 0x234;
export const HDR_MIN_ALIGNMENT: u64 = 0x235;
export const HDR_XLOADFLAGS: u64 = 0x236;
export const HDR_CMDLINE_SIZE: u64 = 0x238;
export const HDR_PAYLOAD_OFFSET: u64 = 0x248;
export const HDR_PAYLOAD_LENGTH: u64 = 0x24C;
export const HDR_SETUP_DATA: u64 = 0x250;
export const HDR_PREF_ADDRESS: u64 = 0x258;
export const HDR_INIT_SIZE: u64 = 0x260;
/** First byte after handover_offset (0x264/4, 2.11): every 2.12 header reaches at least here. */
export const HDR_MIN_END: u64 = 0x268;
/** struct setup_header ends before boot_params._pad7 at 0x290 (zero-page.rst). */
export const HDR_MAX_END: u64 = 0x290;

export const HDRS_MAGIC: u32 = 0x53726448;      // "HdrS" little-endian
export const BOOT_FLAG_MAGIC: u32 = 0xAA55;
/** 2.12 introduced xloadflags, which carries XLF_KERNEL_64 (boot.rst "64-bit BOOT PROTOCOL"). */
export const MIN_PROTOCOL: u32 = 0x020C;
export const LOADED_HIGH: u32 = 1 << 0;
export const CAN_USE_HEAP: u32 = 1 << 7;
export const XLF_KERNEL_64: u32 = 1 << 0;
/**
 * boot.rst "Memory layout": the real-mode kernel (boot sector + setup) occupies X .. X+0x8000,
 * below its stack/heap, so at most 64 sectors: setup_sects <= 63.
 */
export const MAX_SETUP_SECTS: u32 = 63;
const SECTOR: u64 = 512;
const PAGE: u64 = 4096;
/** Alignments above 1 GiB are nonsense for an x86 kernel; they would also defeat placement. */
const MAX_KERNEL_ALIGNMENT: u64 = 1 << 30;

export const enum HeaderStatus {
  OK = 0,
  TRUNCATED_HEADER = 1,
  BAD_BOOT_FLAG = 2,
  BAD_MAGIC = 3,
  OLD_PROTOCOL = 4,
  BAD_HEADER_LENGTH = 5,
  NOT_64BIT = 6,
  NOT_BZIMAGE = 7,
  BAD_SETUP_SECTS = 8,
  BAD_SYSSIZE = 9,
  TRUNCATED_KERNEL = 10,
  BAD_PAYLOAD = 11,
  BAD_ALIGNMENT = 12,
  BAD_PREF_ADDRESS = 13,
  BAD_INIT_SIZE = 14,
}

/**
 * The checked header values the loader uses. 64 bytes:
 *   0 setupBytes   8 kernelBytes (protected-mode part: file minus setup)   16 prefAddress
 *   24 initSize   32 alignment   40 version (u32)   44 hdrEnd (u32)   48 initrdAddrMax (u32)
 *   52 cmdlineSize (u32)   56 relocatable (u32)   60 xloadflags (u32)
 */
@unmanaged export class LinuxHeader {
  setupBytes: u64;
  kernelBytes: u64;
  prefAddress: u64;
  initSize: u64;
  alignment: u64;
  version: u32;
  hdrEnd: u32;
  initrdAddrMax: u32;
  cmdlineSize: u32;
  relocatable: u32;
  xloadflags: u32;
}

@inline function isPow2(x: u64): bool { return x != 0 && (x & (x - 1)) == 0; }

/**
 * Validates the image `img` and fills `h`. On failure `detail` (a u64 cell the caller owns)
 * receives the offending value; on success it is left alone.
 */
export function parseLinuxHeader(img: HostBytes, h: LinuxHeader, detail: usize): HeaderStatus {
  // The fixed part up to init_size must be present before any field is read.
  if (!hostFits(img, 0, HDR_MIN_END)) return fail(detail, img.len, HeaderStatus.TRUNCATED_HEADER);
  const bootFlag = hostU16(img, HDR_BOOT_FLAG);
  if (bootFlag != BOOT_FLAG_MAGIC) return fail(detail, bootFlag, HeaderStatus.BAD_BOOT_FLAG);
  const magic = hostU32(img, HDR_MAGIC);
  if (magic != HDRS_MAGIC) return fail(detail, magic, HeaderStatus.BAD_MAGIC);
  const version = hostU16(img, HDR_VERSION);
  if (version < MIN_PROTOCOL) return fail(detail, version, HeaderStatus.OLD_PROTOCOL);
  // "The end of setup header can be calculated as follows: 0x0202 + byte value at offset 0x0201"
  // (boot.rst "Details of Header Fields", jump), the byte being a short jump's displacement.
  const hdrEnd = <u64>0x202 + <u64>hostU8(img, HDR_JUMP + 1);
  if (hostU8(img, HDR_JUMP) != 0xEB || hdrEnd < HDR_MIN_END || hdrEnd > HDR_MAX_END || !hostFits(img, 0, hdrEnd)) {
    return fail(detail, hdrEnd, HeaderStatus.BAD_HEADER_LENGTH);
  }
  const xlf = hostU16(img, HDR_XLOADFLAGS);
  if ((xlf & XLF_KERNEL_64) == 0) return fail(detail, xlf, HeaderStatus.NOT_64BIT);
  const loadflags = hostU8(img, HDR_LOADFLAGS);
  if ((loadflags & LOADED_HIGH) == 0) return fail(detail, loadflags, HeaderStatus.NOT_BZIMAGE);

  // "If this field is 0, the real value is 4" (boot.rst, setup_sects); +1 for the boot sector.
  let sects = hostU8(img, HDR_SETUP_SECTS);
  if (sects == 0) sects = 4;
  if (sects > MAX_SETUP_SECTS) return fail(detail, sects, HeaderStatus.BAD_SETUP_SECTS);
  const setupBytes = (<u64>sects + 1) * SECTOR;
  // syssize: the protected-mode code in 16-byte paragraphs; the file must hold all of it.
  const sys = <u64>hostU32(img, HDR_SYSSIZE) * 16;
  if (sys == 0) return fail(detail, 0, HeaderStatus.BAD_SYSSIZE);
  if (!hostFits(img, setupBytes, sys)) return fail(detail, setupBytes + sys, HeaderStatus.TRUNCATED_KERNEL);
  // Everything after the setup is loaded (as GRUB and QEMU do: a signed kernel carries its
  // Authenticode signature past syssize; it is harmless inside init_size).
  const kernelBytes = img.len - setupBytes;
  // The compressed payload lies inside the protected-mode code.
  const payOff = <u64>hostU32(img, HDR_PAYLOAD_OFFSET);
  const payLen = <u64>hostU32(img, HDR_PAYLOAD_LENGTH);
  if (payLen == 0 || payOff > sys || payLen > sys - payOff) return fail(detail, payOff + payLen, HeaderStatus.BAD_PAYLOAD);

  const relocatable = hostU8(img, HDR_RELOCATABLE) != 0;
  const align = <u64>hostU32(img, HDR_KERNEL_ALIGNMENT);
  const minAlignLog = <u64>hostU8(img, HDR_MIN_ALIGNMENT);
  if (!isPow2(align) || align < PAGE || align > MAX_KERNEL_ALIGNMENT || minAlignLog > 30 || (<u64>1 << minAlignLog) > align) {
    return fail(detail, align, HeaderStatus.BAD_ALIGNMENT);
  }
  // pref_address: where a non-relocatable kernel must go, and a relocatable one prefers to go.
  // It must be page-aligned, above the first MiB and (for our identity map) below 4 GiB.
  const pref = hostU64(img, HDR_PREF_ADDRESS);
  if ((pref & (PAGE - 1)) != 0 || pref < 0x100000 || pref >= (<u64>1 << 32) || (relocatable && (pref & (align - 1)) != 0)) {
    return fail(detail, pref, HeaderStatus.BAD_PREF_ADDRESS);
  }
  // init_size: the memory the kernel needs from its load address, which holds what we copy.
  const initSize = <u64>hostU32(img, HDR_INIT_SIZE);
  if (initSize < kernelBytes) return fail(detail, initSize, HeaderStatus.BAD_INIT_SIZE);

  h.setupBytes = setupBytes;
  h.kernelBytes = kernelBytes;
  h.prefAddress = pref;
  h.initSize = (initSize + PAGE - 1) & ~(PAGE - 1);
  h.alignment = align;
  h.version = version;
  h.hdrEnd = <u32>hdrEnd;
  h.initrdAddrMax = hostU32(img, HDR_INITRD_ADDR_MAX);
  h.cmdlineSize = hostU32(img, HDR_CMDLINE_SIZE);
  h.relocatable = relocatable ? 1 : 0;
  h.xloadflags = xlf;
  return HeaderStatus.OK;
}

/** The cell at `detail` receives `value`. Invariant: detail is 8 writable bytes the caller owns. */
@inline function fail(detail: usize, value: u64, s: HeaderStatus): HeaderStatus {
  store<u64>(detail, value);
  return s;
}
