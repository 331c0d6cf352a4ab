// Builds the guest's ACPI tables into its RAM: RSDP → XSDT (and RSDT) → FADT → FACS, DSDT; MADT.
// Spec: ACPI 6.4 §5.2.5 (RSDP, Table 5.3; found by scanning 0xE0000-0xFFFFF on 16-byte
// boundaries, §5.2.5.1), §5.2.7 (RSDT), §5.2.8 (XSDT), §5.2.10 (FACS, Table 5.14: 64-byte
// aligned, no checksum), and fadt.ts / madt.ts / dsdt.ts for the rest.
//
// Layout inside the region [gpa, gpa + size) (offsets from the 16-byte-aligned start):
//      0 RSDP (36)    48 RSDT (44)    96 XSDT (52)    192 FACS (64, 64-aligned)
//    256 FADT (276)  544 DSDT (50)   608 MADT (44 + 8·vcpus + 38)
// Everything is staged in the caller's buffer and copied with one GuestMemory write, so a
// failure leaves the guest's memory untouched. Returns the RSDP's guest-physical address (for
// boot_params.acpi_rsdp_addr; a region in 0xE0000-0xFFFFF also lets the guest find it by
// scanning), or 0 when the arguments are unusable or the write fails.

import { GuestMemory, GmStatus, gmWrite } from "../../ept/guest-memory";
import {
  AcpiBlob, put8, put32, put64, putTag, putHeader, sealTable, fixChecksum, gpaOf, SDT_HEADER_SIZE, OEM_ID,
} from "./blob";
import { buildFadt, FADT_SIZE } from "./fadt";
import { buildDsdt, DSDT_SIZE } from "./dsdt";
import { buildMadt, madtSize } from "./madt";

export const ACPI_MAX_VCPUS: u32 = 255;
/** Staging bytes the caller provides: the AcpiBlob, then the tables for ACPI_MAX_VCPUS. */
export const ACPI_SCRATCH_SIZE: u32 = 4096;
const BLOB_HEADER: usize = 16;

const RSDP_SIGNATURE: u64 = 0x2052545020445352; // "RSD PTR "
const RSDP_SIZE: u32 = 36;
const RSDP_REVISION: u32 = 2;
const RSDT_SIGNATURE: u32 = 0x54445352; // "RSDT"
const XSDT_SIGNATURE: u32 = 0x54445358; // "XSDT"
const FACS_SIGNATURE: u32 = 0x53434146; // "FACS"
const FACS_SIZE: u32 = 64;
const FACS_VERSION: u32 = 2;
/** Tables the RSDT/XSDT list: FADT and MADT (the DSDT and FACS hang off the FADT). */
const SDT_ENTRIES: u32 = 2;

const OFF_RSDP: u32 = 0;
const OFF_RSDT: u32 = 48;
const OFF_XSDT: u32 = 96;
const OFF_FACS: u32 = 192;
const OFF_FADT: u32 = 256;
const OFF_DSDT: u32 = OFF_FADT + ((FADT_SIZE + 15) & ~15);
const OFF_MADT: u32 = OFF_DSDT + ((DSDT_SIZE + 15) & ~15);

/** Bytes the tables take for `vcpus` processors (from the 16-byte-aligned region start). */
export function acpiTablesSize(vcpus: u32): u32 { return OFF_MADT + madtSize(vcpus); }

/**
 * RSDP (Table 5.3):  0 "RSD PTR "  8 checksum (bytes 0-19)  9 OEMID[6]  15 revision (2)
 *   16 RsdtAddress u32  20 Length u32 (36)  24 XsdtAddress u64  32 extended checksum (all 36)
 *   33 reserved[3]
 */
function buildRsdp(b: AcpiBlob, off: u32, rsdt: u64, xsdt: u64): void {
  putTag(b, off, RSDP_SIGNATURE, 8);
  put8(b, off + 8, 0);
  putTag(b, off + 9, OEM_ID, 6);
  put8(b, off + 15, RSDP_REVISION);
  put32(b, off + 16, <u32>rsdt);
  put32(b, off + 20, RSDP_SIZE);
  put64(b, off + 24, xsdt);
  for (let i: u32 = 32; i < RSDP_SIZE; i++) put8(b, off + i, 0);
  fixChecksum(b, off, 20, off + 8);
  fixChecksum(b, off, RSDP_SIZE, off + 32);
}

/** RSDT (4-byte entries) or XSDT (8-byte entries) listing the FADT and the MADT. */
function buildSdt(b: AcpiBlob, off: u32, wide: bool, fadt: u64, madt: u64): void {
  const entry: u32 = wide ? 8 : 4;
  const size = SDT_HEADER_SIZE + SDT_ENTRIES * entry;
  putHeader(b, off, wide ? XSDT_SIGNATURE : RSDT_SIGNATURE, size, 1);
  if (wide) {
    put64(b, off + 36, fadt);
    put64(b, off + 44, madt);
  } else {
    put32(b, off + 36, <u32>fadt);
    put32(b, off + 40, <u32>madt);
  }
  sealTable(b, off, size);
}

/**
 * FACS (Table 5.14): 0 "FACS"  4 Length (64)  8 hardware signature  12 firmware waking vector
 * 16 global lock  20 flags  24 X firmware waking vector u64  32 version (2)  33 reserved[3]
 * 36 OSPM flags  40 reserved[24]. No S4BIOS, no 64-bit wake support: all zero but the header.
 */
function buildFacs(b: AcpiBlob, off: u32): void {
  for (let i: u32 = 0; i < FACS_SIZE; i++) put8(b, off + i, 0);
  putTag(b, off, <u64>FACS_SIGNATURE, 4);
  put32(b, off + 4, FACS_SIZE);
  put8(b, off + 32, FACS_VERSION);
}

/**
 * Writes all tables for `vcpus` processors (APIC IDs 0 … vcpus−1) into guest RAM at the region
 * [gpa, gpa + size), staging them in `scratch`: ACPI_SCRATCH_SIZE host bytes the caller owns
 * (8-aligned; the first 16 hold the AcpiBlob, the rest the table bytes). The region must lie
 * below 4 GiB (the RSDT and the FADT's 32-bit fields point into it).
 */
export function acpiBuild<M>(gm: GuestMemory, mem: M, gpa: u64, size: u64, vcpus: u32, scratch: usize): u64 {
  if (vcpus == 0 || vcpus > ACPI_MAX_VCPUS || gpa == 0) return 0;
  const start = (gpa + 15) & ~<u64>15;
  const total = acpiTablesSize(vcpus);
  if (start < gpa || start - gpa > size || size - (start - gpa) < <u64>total) return 0;
  if (start + <u64>total > 0x1_0000_0000) return 0;
  const b = changetype<AcpiBlob>(scratch);
  b.buf = scratch + BLOB_HEADER;
  b.cap = ACPI_SCRATCH_SIZE - <u32>BLOB_HEADER;
  b.gpa = start;
  if (total > b.cap) return 0;
  memory.fill(b.buf, 0, <usize>total);
  const madt = gpaOf(b, OFF_MADT);
  const fadt = gpaOf(b, OFF_FADT);
  buildFacs(b, OFF_FACS);
  buildDsdt(b, OFF_DSDT);
  buildMadt(b, OFF_MADT, vcpus);
  buildFadt(b, OFF_FADT, gpaOf(b, OFF_FACS), gpaOf(b, OFF_DSDT));
  buildSdt(b, OFF_RSDT, false, fadt, madt);
  buildSdt(b, OFF_XSDT, true, fadt, madt);
  buildRsdp(b, OFF_RSDP, gpaOf(b, OFF_RSDT), gpaOf(b, OFF_XSDT));
  if (gmWrite<M>(gm, mem, start, b.buf, <u64>total) != GmStatus.OK) return 0;
  return start;
}
