// The staging buffer the ACPI tables are assembled in before one GuestMemory write: bounded
// little-endian stores, the System Description Table header, the Generic Address Structure and
// checksums. Spec: ACPI 6.4 §5.2.5.3 (checksum: all bytes of the table sum to 0 mod 256), §5.2.6
// (DESCRIPTION_HEADER, Table 5.4), §5.2.3.2 (Generic Address Structure, Table 5.1).
//
// AcpiBlob (16 bytes, caller-owned): +0 buf (host address of the staging bytes) +4 cap (bytes)
// +8 gpa (u64: the guest-physical address that buf[0] will have). Every store is checked against
// cap, so no layout mistake can write outside the caller's buffer; the builder checks the final
// layout fits before it writes anything to the guest.

@unmanaged export class AcpiBlob {
  buf: usize;
  cap: u32;
  gpa: u64;
}

/** One staging byte. Invariant: off < cap, so buf + off is inside the caller's buffer. */
@inline function stage8(b: AcpiBlob, off: u32, v: u32): void {
  if (off < b.cap) store<u8>(b.buf + <usize>off, <u8>v);
}
/** Reads a staged byte back (checksums). Invariant: as for stage8; out-of-range reads 0. */
@inline function staged8(b: AcpiBlob, off: u32): u32 {
  return off < b.cap ? <u32>load<u8>(b.buf + <usize>off) : 0;
}

export function put8(b: AcpiBlob, off: u32, v: u32): void { stage8(b, off, v); }
export function put16(b: AcpiBlob, off: u32, v: u32): void { stage8(b, off, v); stage8(b, off + 1, v >> 8); }
export function put32(b: AcpiBlob, off: u32, v: u32): void {
  for (let i: u32 = 0; i < 4; i++) stage8(b, off + i, v >> (8 * i));
}
export function put64(b: AcpiBlob, off: u32, v: u64): void {
  put32(b, off, <u32>v);
  put32(b, off + 4, <u32>(v >> 32));
}
/** `n` ASCII bytes from a little-endian packed u64 (tags like signatures and OEM IDs). */
export function putTag(b: AcpiBlob, off: u32, packed: u64, n: u32): void {
  for (let i: u32 = 0; i < n; i++) stage8(b, off + i, <u32>(packed >> (8 * i)) & 0xFF);
}

/** Guest-physical address of staging offset `off`. */
@inline export function gpaOf(b: AcpiBlob, off: u32): u64 { return b.gpa + <u64>off; }

/** Sets byte `at` so that the `len` bytes from `start` sum to 0 (mod 256). */
export function fixChecksum(b: AcpiBlob, start: u32, len: u32, at: u32): void {
  stage8(b, at, 0);
  let sum: u32 = 0;
  for (let i: u32 = 0; i < len; i++) sum += staged8(b, start + i);
  stage8(b, at, (0x100 - (sum & 0xFF)) & 0xFF);
}

// Identification written into every header (ACPI 6.4 Table 5.4): OEMID (6 bytes), OEM table ID
// (8), creator ID (4). Packed little-endian: the first character is the low byte.
export const OEM_ID: u64 = 0x2020_5648_5354;   // "TSHV  "
const OEM_TABLE_ID: u64 = 0x2020_2020_5648_5354; // "TSHV    "
const CREATOR_ID: u64 = 0x5648_5354;           // "TSHV"
export const OEM_REVISION: u32 = 1;
export const CREATOR_REVISION: u32 = 1;
export const SDT_HEADER_SIZE: u32 = 36;

/**
 * DESCRIPTION_HEADER at `off`: signature (4 ASCII, packed), length, revision; checksum is set by
 * sealTable once the body is written.
 *   0 Signature[4]  4 Length u32  8 Revision u8  9 Checksum u8  10 OEMID[6]  16 OEM Table ID[8]
 *   24 OEM Revision u32  28 Creator ID[4]  32 Creator Revision u32
 */
export function putHeader(b: AcpiBlob, off: u32, signature: u32, length: u32, revision: u32): void {
  putTag(b, off, <u64>signature, 4);
  put32(b, off + 4, length);
  put8(b, off + 8, revision);
  put8(b, off + 9, 0);
  putTag(b, off + 10, OEM_ID, 6);
  putTag(b, off + 16, OEM_TABLE_ID, 8);
  put32(b, off + 24, OEM_REVISION);
  putTag(b, off + 28, CREATOR_ID, 4);
  put32(b, off + 32, CREATOR_REVISION);
}

/** Checksums the table at `off` of `length` bytes (checksum byte at +9). */
export function sealTable(b: AcpiBlob, off: u32, length: u32): void { fixChecksum(b, off, length, off + 9); }

// Generic Address Structure address space IDs and access sizes (Table 5.1).
export const GAS_SYSTEM_IO: u32 = 1;
export const GAS_ACCESS_WORD: u32 = 2;
export const GAS_ACCESS_DWORD: u32 = 3;
export const GAS_SIZE: u32 = 12;

/** GAS at `off`: 0 space ID, 1 register bit width, 2 bit offset, 3 access size, 4 address u64. */
export function putGas(b: AcpiBlob, off: u32, space: u32, bitWidth: u32, access: u32, address: u64): void {
  put8(b, off, space);
  put8(b, off + 1, bitWidth);
  put8(b, off + 2, 0);
  put8(b, off + 3, access);
  put64(b, off + 4, address);
}
