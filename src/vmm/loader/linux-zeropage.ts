// The zero page (struct boot_params, 4 KiB; Linux Documentation/arch/x86/zero-page.rst) for the
// 64-bit boot protocol (boot.rst "64-bit BOOT PROTOCOL": "the bootloader must fill in struct
// boot_params ... allocate memory for it and initialize it to all zero, then the setup header
// from offset 0x01f1 of the kernel image on should be loaded into struct boot_params and
// examined"), written straight into guest RAM through GuestMemory.
//
// Fields written here (offset, size):
//
//   0x070 acpi_rsdp_addr u64         0x0C0 ext_ramdisk_image u32   0x0C4 ext_ramdisk_size u32
//   0x0C8 ext_cmd_line_ptr u32       0x1E8 e820_entries u8
//   0x1F1 .. hdrEnd  the setup header, copied from the image
//   0x210 type_of_loader u8 = 0xFF ("undefined": we have no assigned id)
//   0x211 loadflags u8 |= LOADED_HIGH | CAN_USE_HEAP
//   0x214 code32_start u32 = load address   0x218 ramdisk_image u32   0x21C ramdisk_size u32
//   0x224 heap_end_ptr u16           0x228 cmd_line_ptr u32         0x250 setup_data u64 = 0
//   0x2D0 e820_table[128], 20 bytes each: addr u64, size u64, type u32 (packed)

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { HostBytes, hostPtr, hostU8 } from "./host-bytes";
import { E820Table, E820_MAX_ENTRIES, e820At } from "./e820";
import {
  LinuxHeader, HDR_SETUP_SECTS, HDR_TYPE_OF_LOADER, HDR_LOADFLAGS, HDR_CODE32_START,
  HDR_RAMDISK_IMAGE, HDR_RAMDISK_SIZE, HDR_HEAP_END_PTR, HDR_CMD_LINE_PTR, HDR_SETUP_DATA,
  LOADED_HIGH, CAN_USE_HEAP,
} from "./linux-header";
import { guestZero, guestCopy, guestW8, guestW16, guestW32, guestW64, gmFirst } from "./guest-write";

export const ZP_ACPI_RSDP: u64 = 0x070;
export const ZP_EXT_RAMDISK_IMAGE: u64 = 0x0C0;
export const ZP_EXT_RAMDISK_SIZE: u64 = 0x0C4;
export const ZP_EXT_CMD_LINE_PTR: u64 = 0x0C8;
export const ZP_E820_ENTRIES: u64 = 0x1E8;
export const ZP_E820_TABLE: u64 = 0x2D0;
export const ZP_E820_ENTRY_BYTES: u64 = 20;
export const ZERO_PAGE_BYTES: u64 = 4096;
export const TYPE_OF_LOADER_UNDEFINED: u64 = 0xFF;
/** boot.rst's sample loader: heap_end = 0xE000, heap_end_ptr = heap_end - 0x200. Only the
 *  real-mode setup uses the heap; the 64-bit entry skips it, so this only keeps the flag honest. */
export const HEAP_END_PTR: u64 = 0xE000 - 0x200;

/**
 * Writes the zero page at guest `zp` (4 KiB of RAM, already checked). The image's setup header
 * [0x1F1, h.hdrEnd) was bounds-checked by parseLinuxHeader. The other arguments are the guest-
 * physical addresses and sizes the fields point at. Returns the first failed write.
 */
export function writeZeroPage<M>(
  gm: GuestMemory, mem: M, zp: u64, img: HostBytes, h: LinuxHeader,
  kernel: u64, initrd: u64, initrdSize: u64, cmdline: u64, acpiRsdp: u64, t: E820Table,
): GmStatus {
  let st = guestZero<M>(gm, mem, zp, ZERO_PAGE_BYTES);
  if (st != GmStatus.OK) return st;
  st = guestCopy<M>(gm, mem, zp + HDR_SETUP_SECTS, hostPtr(img, HDR_SETUP_SECTS), <u64>h.hdrEnd - HDR_SETUP_SECTS);

  // Fields the loader owns ("write" / "modify" in boot.rst's field table).
  st = gmFirst(st, guestW8<M>(gm, mem, zp + HDR_TYPE_OF_LOADER, TYPE_OF_LOADER_UNDEFINED));
  const loadflags = <u64>hostU8(img, HDR_LOADFLAGS) | LOADED_HIGH | CAN_USE_HEAP;
  st = gmFirst(st, guestW8<M>(gm, mem, zp + HDR_LOADFLAGS, loadflags));
  st = gmFirst(st, guestW16<M>(gm, mem, zp + HDR_HEAP_END_PTR, HEAP_END_PTR));
  // code32_start: the 64-bit entry does not read it, but a loader that moves the kernel must
  // say where it went (boot.rst, code32_start "modify (optional, reloc)").
  st = gmFirst(st, guestW32<M>(gm, mem, zp + HDR_CODE32_START, kernel & 0xFFFF_FFFF));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + HDR_RAMDISK_IMAGE, initrd & 0xFFFF_FFFF));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + HDR_RAMDISK_SIZE, initrdSize & 0xFFFF_FFFF));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + ZP_EXT_RAMDISK_IMAGE, initrd >> 32));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + ZP_EXT_RAMDISK_SIZE, initrdSize >> 32));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + HDR_CMD_LINE_PTR, cmdline & 0xFFFF_FFFF));
  st = gmFirst(st, guestW32<M>(gm, mem, zp + ZP_EXT_CMD_LINE_PTR, cmdline >> 32));
  // setup_data is a guest-physical pointer chain the loader supplies; we supply none, and the
  // image's own value (hostile input) must not reach the kernel as one.
  st = gmFirst(st, guestW64<M>(gm, mem, zp + HDR_SETUP_DATA, 0));
  st = gmFirst(st, guestW64<M>(gm, mem, zp + ZP_ACPI_RSDP, acpiRsdp));

  const n = t.count < E820_MAX_ENTRIES ? t.count : E820_MAX_ENTRIES;
  st = gmFirst(st, guestW8<M>(gm, mem, zp + ZP_E820_ENTRIES, n));
  for (let i: u32 = 0; i < n; i++) {
    const e = e820At(t, i);
    const at = zp + ZP_E820_TABLE + <u64>i * ZP_E820_ENTRY_BYTES;
    st = gmFirst(st, guestW64<M>(gm, mem, at, e.addr));
    st = gmFirst(st, guestW64<M>(gm, mem, at + 8, e.size));
    st = gmFirst(st, guestW32<M>(gm, mem, at + 16, e.type));
  }
  return st;
}
