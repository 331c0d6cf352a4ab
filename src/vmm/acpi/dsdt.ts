// DSDT (Differentiated System Description Table): the AML namespace. Ours declares only the
// soft-off sleep state the PM device implements. Spec: ACPI 6.4 §5.2.11.1 (DSDT), §7.4.2.6
// (\_S5), §20.2 (AML grammar: NameOp 0x08, PackageOp 0x12, PkgLength, BytePrefix 0x0A,
// ZeroOp 0x00, NameSeg padded with '_').
//
// Source (ASL), hand-assembled below:
//   DefinitionBlock ("", "DSDT", 2, "TSHV  ", "TSHV    ", 1)
//   {
//       Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })  // SLP_TYPa, SLP_TYPb, reserved
//   }
// AML bytes of the body:
//   08                 NameOp
//   5F 53 35 5F        NameSeg "_S5_"
//   12                 PackageOp
//   08                 PkgLength = 8 (this byte, NumElements and the 6 element bytes)
//   04                 NumElements
//   0A 05  0A 05       BytePrefix 5, BytePrefix 5   (SLP_TYPa = SLP_TYPb = PM_S5_SLP_TYP)
//   00 00              ZeroOp, ZeroOp
// Revision 2: integers are 64 bits (§5.2.11.1, ComplianceRevision).

import { AcpiBlob, put8, putHeader, sealTable, SDT_HEADER_SIZE } from "./blob";
import { PM_S5_SLP_TYP } from "./pm";

export const DSDT_SIGNATURE: u32 = 0x54445344; // "DSDT"
export const DSDT_REVISION: u32 = 2;
const AML_S5_SIZE: u32 = 14;
export const DSDT_SIZE: u32 = SDT_HEADER_SIZE + AML_S5_SIZE;

/** Writes the DSDT at `off`. */
export function buildDsdt(b: AcpiBlob, off: u32): void {
  putHeader(b, off, DSDT_SIGNATURE, DSDT_SIZE, DSDT_REVISION);
  const a = off + SDT_HEADER_SIZE;
  put8(b, a + 0, 0x08);
  put8(b, a + 1, 0x5F);
  put8(b, a + 2, 0x53);
  put8(b, a + 3, 0x35);
  put8(b, a + 4, 0x5F);
  put8(b, a + 5, 0x12);
  put8(b, a + 6, 0x08);
  put8(b, a + 7, 0x04);
  put8(b, a + 8, 0x0A);
  put8(b, a + 9, PM_S5_SLP_TYP);
  put8(b, a + 10, 0x0A);
  put8(b, a + 11, PM_S5_SLP_TYP);
  put8(b, a + 12, 0x00);
  put8(b, a + 13, 0x00);
  sealTable(b, off, DSDT_SIZE);
}
