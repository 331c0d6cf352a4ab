// Interrupt request lines between the platform's device models and the two interrupt controllers
// that listen to them (the 8259A pair, src/vmm/platform/pic.ts, and the IOAPIC). Devices drive
// lines; controllers sample them; nothing here knows either side.
//
// Numbering (the PC/AT wiring, as QEMU's "pc" machine and every PC chipset since the PIIX):
//   line n, n < 16   ISA IRQ n: what the 8259A pair sees at IR n (0-7 master, 8-15 slave). The
//                    8259 pair reads lines 0..15 only. Line 2 is the slave's cascade input on the
//                    master and is never driven by a device.
//   line n, 16..23   PCI interrupt lines wired only to the IOAPIC.
//   IOAPIC pin p     reads line p, except pin 2, which reads line 0 (ISA IRQ 0, the PIT): the
//                    MADT's interrupt source override "bus 0 IRQ 0 → GSI 2" (ACPI 6.4 §5.2.12.5).
//                    Pin 0 carries the 8259's INTR output (ExtINT), not a line of this struct.
//                    irqLineOfGsi() does this mapping, so ISA IRQ n = GSI n except IRQ 0 → GSI 2.
//
// Edges: ISA devices are edge-triggered by default (ELCR bit clear, PCI-to-ISA bridge convention)
// and raise/lower their line as the hardware does. A controller must not miss a short pulse that
// began and ended between two of its samples (the PIT's mode-2 output is low for one 838 ns clock
// per period), so besides the level the struct keeps a `rising` mask: every 0→1 transition since
// the last commit. Edge-triggered inputs latch on `rising`; level-triggered inputs read `level`.
//
// Protocol: devices call irqSet / irqPulse at any time; the VMM then lets every controller sample
// (picSyncLines, the IOAPIC's equivalent) and finally calls irqLinesCommit, which forgets the
// edges and the changed mask. Controllers never clear them, so both see the same transitions.
//
// Layout (16 bytes, caller-owned):
//   +0  level   u32  bit n = line n is high now
//   +4  changed u32  bit n = line n changed level (or pulsed) since the last commit
//   +8  rising  u32  bit n = line n went 0→1 at least once since the last commit
//   +12 _pad    u32

/** Lines 0..23 (24 IOAPIC pins on the PC; bits above 23 are never set). */
export const IRQ_LINE_COUNT: u32 = 24;
export const IRQ_LINES_SIZE: u32 = 16;
const LINE_MASK: u32 = (1 << IRQ_LINE_COUNT) - 1;
/** irqLineOfGsi's answer for a GSI that no line feeds (pin 0: ExtINT; out-of-range pins). */
export const IRQ_NO_LINE: u32 = 0xFF;

// ISA IRQ numbers of the PC devices modelled in this directory (IBM PC/AT Technical Reference).
export const ISA_IRQ_PIT: u32 = 0;
export const ISA_IRQ_CASCADE: u32 = 2;
export const ISA_IRQ_COM1: u32 = 4;
export const ISA_IRQ_RTC: u32 = 8;

@unmanaged export class IrqLines {
  level: u32;
  changed: u32;
  rising: u32;
  _pad: u32;
}

export function irqLinesInit(lines: IrqLines): void {
  lines.level = 0;
  lines.changed = 0;
  lines.rising = 0;
  lines._pad = 0;
}

/** Drives `line` to `level` (0 or non-zero). Lines ≥ 24 are ignored: no such wire. */
export function irqSet(lines: IrqLines, line: u32, level: bool): void {
  if (line >= IRQ_LINE_COUNT) return;
  const bit: u32 = 1 << line;
  const was = (lines.level & bit) != 0;
  if (was == level) return;
  lines.changed |= bit;
  if (level) {
    lines.level |= bit;
    lines.rising |= bit;
  } else {
    lines.level &= ~bit;
  }
}

/**
 * Records at least one complete low→high transition on `line` since the last commit, leaving it
 * at `levelAfter`. For outputs that pulse faster than the VMM samples (PIT modes 2/3/4).
 */
export function irqPulse(lines: IrqLines, line: u32, levelAfter: bool): void {
  if (line >= IRQ_LINE_COUNT) return;
  const bit: u32 = 1 << line;
  lines.changed |= bit;
  lines.rising |= bit;
  if (levelAfter) lines.level |= bit;
  else lines.level &= ~bit;
}

@inline export function irqLevel(lines: IrqLines, line: u32): bool {
  return line < IRQ_LINE_COUNT && (lines.level & (1 << line)) != 0;
}

/** After every controller has sampled: forget edges and changes, keep levels. */
export function irqLinesCommit(lines: IrqLines): void {
  lines.changed = 0;
  lines.rising = 0;
  lines.level &= LINE_MASK;
}

/**
 * The line that feeds IOAPIC input `gsi` on this platform: `gsi` itself, except GSI 2 ← line 0
 * (the PIT, by the interrupt source override) and GSI 0 ← none (the 8259's ExtINT output).
 */
export function irqLineOfGsi(gsi: u32): u32 {
  if (gsi == 2) return ISA_IRQ_PIT;
  if (gsi == 0 || gsi >= IRQ_LINE_COUNT) return IRQ_NO_LINE;
  return gsi;
}
