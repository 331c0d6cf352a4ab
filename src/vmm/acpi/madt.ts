// MADT (Multiple APIC Description Table, signature "APIC"), revision 5.
// Spec: ACPI 6.4 §5.2.12 (Table 5.43 header, Table 5.44 flags: PCAT_COMPAT), §5.2.12.2
// (Processor Local APIC, Table 5.46/5.47), §5.2.12.3 (I/O APIC, Table 5.48), §5.2.12.5
// (Interrupt Source Override, Table 5.50; MPS INTI flags Table 5.51), §5.2.12.7 (Local APIC
// NMI, Table 5.53).
//
// Layout:
//    0 header (36)   36 Local Interrupt Controller Address u32   40 Flags u32 (PCAT_COMPAT)
//    44 per vCPU i:  type 0, len 8, ACPI processor UID i, APIC ID i, flags u32 = Enabled
//    +  I/O APIC:    type 1, len 12, I/O APIC ID, reserved, address u32, GSI base u32 = 0
//    +  overrides:   type 2, len 10, bus 0 (ISA), source IRQ, GSI u32, INTI flags u16
//                    IRQ 0 → GSI 2 (the PIT on pin 2; flags 0 = bus default: edge, high)
//                    IRQ 9 → GSI 9, level-triggered, active high (the SCI, §5.2.9 SCI_INT)
//    +  LAPIC NMI:   type 4, len 6, UID 0xFF (all processors), INTI flags 0, LINT 1
// The LAPIC IDs equal the vCPU indices (lapicInit's `id`); the 8259s are present (PCAT_COMPAT)
// and ISA IRQs 1-15 other than those above map 1:1 to GSIs (irq-lines.ts's wiring).

import { AcpiBlob, put8, put16, put32, putHeader, sealTable, SDT_HEADER_SIZE } from "./blob";
import { LAPIC_DEFAULT_BASE } from "../platform/lapic-state";
import { IOAPIC_DEFAULT_BASE, IOAPIC_DEFAULT_ID } from "../platform/ioapic";
import { SCI_IRQ } from "./pm";

export const MADT_SIGNATURE: u32 = 0x43495041; // "APIC"
export const MADT_REVISION: u32 = 5;
const MADT_FIXED: u32 = SDT_HEADER_SIZE + 8;
const LAPIC_ENTRY: u32 = 8;
const IOAPIC_ENTRY: u32 = 12;
const ISO_ENTRY: u32 = 10;
const NMI_ENTRY: u32 = 6;
const PCAT_COMPAT: u32 = 1;
/** INTI flags (Table 5.51): polarity 1:0 (01 active high), trigger 3:2 (11 level). */
const INTI_ACTIVE_HIGH_LEVEL: u32 = 0x1 | (0x3 << 2);
/** Processor UID 0xFF in a Local APIC NMI entry: every processor. */
const ALL_PROCESSORS: u32 = 0xFF;

export function madtSize(vcpus: u32): u32 {
  return MADT_FIXED + vcpus * LAPIC_ENTRY + IOAPIC_ENTRY + 2 * ISO_ENTRY + NMI_ENTRY;
}

function putOverride(b: AcpiBlob, at: u32, irq: u32, gsi: u32, flags: u32): void {
  put8(b, at, 2);
  put8(b, at + 1, ISO_ENTRY);
  put8(b, at + 2, 0);
  put8(b, at + 3, irq);
  put32(b, at + 4, gsi);
  put16(b, at + 8, flags);
}

/** Writes the MADT for `vcpus` processors (1 … 255, checked by the caller) at `off`. */
export function buildMadt(b: AcpiBlob, off: u32, vcpus: u32): void {
  const size = madtSize(vcpus);
  putHeader(b, off, MADT_SIGNATURE, size, MADT_REVISION);
  put32(b, off + 36, <u32>LAPIC_DEFAULT_BASE);
  put32(b, off + 40, PCAT_COMPAT);
  let at = off + MADT_FIXED;
  for (let i: u32 = 0; i < vcpus; i++) {
    put8(b, at, 0);
    put8(b, at + 1, LAPIC_ENTRY);
    put8(b, at + 2, i);
    put8(b, at + 3, i);
    put32(b, at + 4, 1); // Enabled
    at += LAPIC_ENTRY;
  }
  put8(b, at, 1);
  put8(b, at + 1, IOAPIC_ENTRY);
  put8(b, at + 2, IOAPIC_DEFAULT_ID);
  put8(b, at + 3, 0);
  put32(b, at + 4, <u32>IOAPIC_DEFAULT_BASE);
  put32(b, at + 8, 0);
  at += IOAPIC_ENTRY;
  putOverride(b, at, 0, 2, 0);
  at += ISO_ENTRY;
  putOverride(b, at, SCI_IRQ, SCI_IRQ, INTI_ACTIVE_HIGH_LEVEL);
  at += ISO_ENTRY;
  put8(b, at, 4);
  put8(b, at + 1, NMI_ENTRY);
  put8(b, at + 2, ALL_PROCESSORS);
  put16(b, at + 3, 0);
  put8(b, at + 5, 1);
  sealTable(b, off, size);
}
