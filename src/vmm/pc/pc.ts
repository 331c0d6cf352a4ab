// The PC platform of a Linux VM: one block of device state per VM (src/vmm/platform/ device
// models, the IOAPIC and the BSP's LAPIC, the ACPI PM device), their creation, the interrupt
// routing between them and their timers. Wiring follows src/vmm/platform/README.md and
// src/vmm/acpi/README.md: after every device access the PIC and IOAPIC sample the IRQ lines, the
// IOAPIC's messages go to the LAPIC, and the earliest device deadline is recomputed so that the
// run loop (src/vmm/run.ts) can arm the VMX-preemption timer for it.
//
// One vCPU per PC VM (APIC ID 0, the BSP): the MADT built for it lists one LAPIC, so Linux
// starts no APs and IPIs other than self-IPIs have no target.
//
// Block layout (PC_BLOCK_BYTES, host frames, zeroed; offsets in bytes):
//      0 IrqLines (16)       16 IoapicMsg (24)     64 Pic8259 (160)     256 Pit (160)
//    448 SysCtl (16)        512 Rtc (256)         768 AcpiPm (40)      832 Ioapic (208)
//   1088 Lapic (256)       1536 PciHost (1032)   2624 bridge PciFunction (784)
//   3456 PcCtl (below)     4096 Uart (4480)      8704 E820 table (3080)
//  12288 ACPI scratch (4096)   16384 BootState (400)   16896 LinuxLoadInfo (≤ 256)
//  17408 LinuxLoadParams (64)  → 24 KiB

import { IrqLines, irqLinesInit, irqLinesCommit, irqSet } from "../platform/irq-lines";
import { Pic8259, picInit, picSyncLines, picPendingVector, picAck } from "../platform/pic8259";
import { Pit, pitInit, pitNextEvent, pitTick } from "../platform/pit8254";
import { SysCtl, sysctlInit } from "../platform/sysctl-port";
import { Rtc, rtcInit, rtcNextEvent, rtcTick } from "../platform/rtc146818";
import { Uart, uartInit, uartNextEvent, uartTick, uartTxPop, uartTxCount } from "../platform/serial16550";
import { PciHost, pciHostInit } from "../platform/pci-host";
import { PciFunction } from "../platform/pci-function";
import { Ioapic, IoapicMsg, ioapicInit, ioapicSync, ioapicPop, IOAPIC_DEFAULT_ID } from "../platform/ioapic";
import { Lapic, lapicInit } from "../platform/lapic-state";
import { lapicDeliver, lapicMatchDest, lapicPendingVector, lapicAck, lapicAcceptsPicIntr, LapicDelivery } from "../platform/lapic-irq";
import { lapicTimerService, lapicNextEvent } from "../platform/lapic-timer";
import { AcpiPm, pmInit, pmNextEvent, pmSciLevel } from "../acpi/pm";
import { Vm, MAX_VMS, vmConsolePutByte } from "../vm";

export const PC_BLOCK_BYTES: u64 = 24 * 1024;
const OFF_LINES: usize = 0;
const OFF_MSG: usize = 16;
const OFF_PIC: usize = 64;
const OFF_PIT: usize = 256;
const OFF_SYSCTL: usize = 448;
const OFF_RTC: usize = 512;
const OFF_PM: usize = 768;
const OFF_IOAPIC: usize = 832;
const OFF_LAPIC: usize = 1088;
const OFF_PCI: usize = 1536;
const OFF_BRIDGE: usize = 2624;
const OFF_CTL: usize = 3456;
const OFF_UART: usize = 4096;
export const PC_OFF_E820: usize = 8704;
export const PC_OFF_ACPI_SCRATCH: usize = 12288;
export const PC_OFF_BOOT_STATE: usize = 16384;
export const PC_OFF_LOAD_INFO: usize = 16896;
export const PC_OFF_LOAD_PARAMS: usize = 17408;

/** SCI: ISA IRQ 9, level, active high (the FADT's SCI_INT and the MADT override, acpi/madt.ts). */
const SCI_IRQ: u32 = 9;

/** Why a PC VM asked to end (PcCtl.stop). */
export const enum PcStop {
  NONE = 0,
  /** ACPI S5 (PM1a_CNT SLP_EN with SLP_TYP 5). */
  S5 = 1,
  /** Reset control register 0xCF9 (bit 2 with bit 1: hard reset). */
  RESET_CF9 = 2,
  /** 8042 command 0xFE (pulse the CPU reset line). */
  RESET_8042 = 3,
}

/**
 * Control state (at OFF_CTL, 64 bytes):
 *   0 next (u64: TSC of the earliest device event, u64 max = none)  8 tscHz  16 firstEntry (TSC)
 *  24 stop (PcStop)  28 nmi (1: an NMI for the vCPU)  32 irqsInjected (for the power-off report)
 */
@unmanaged export class PcCtl {
  next: u64;
  tscHz: u64;
  firstEntry: u64;
  stop: u32;
  nmi: u32;
  irqsInjected: u64;
}

/** The PC block of each VM (0 = the VM is a test-guest VM without the PC platform). */
const BLOCKS: usize = memory.data(<i32>(MAX_VMS * 4), 4);

@inline export function pcBlock(vm: Vm): usize { return <usize>load<u32>(BLOCKS + (<usize>(vm.id % MAX_VMS) << 2)); }
@inline export function pcIs(vm: Vm): bool { return pcBlock(vm) != 0; }
@inline export function pcLines(b: usize): IrqLines { return changetype<IrqLines>(b + OFF_LINES); }
@inline export function pcPic(b: usize): Pic8259 { return changetype<Pic8259>(b + OFF_PIC); }
@inline export function pcPit(b: usize): Pit { return changetype<Pit>(b + OFF_PIT); }
@inline export function pcSysCtl(b: usize): SysCtl { return changetype<SysCtl>(b + OFF_SYSCTL); }
@inline export function pcRtc(b: usize): Rtc { return changetype<Rtc>(b + OFF_RTC); }
@inline export function pcPm(b: usize): AcpiPm { return changetype<AcpiPm>(b + OFF_PM); }
@inline export function pcIoapic(b: usize): Ioapic { return changetype<Ioapic>(b + OFF_IOAPIC); }
@inline export function pcLapic(b: usize): Lapic { return changetype<Lapic>(b + OFF_LAPIC); }
@inline export function pcPci(b: usize): PciHost { return changetype<PciHost>(b + OFF_PCI); }
@inline export function pcUart(b: usize): Uart { return changetype<Uart>(b + OFF_UART); }
@inline export function pcCtl(b: usize): PcCtl { return changetype<PcCtl>(b + OFF_CTL); }

/**
 * Makes `block` (PC_BLOCK_BYTES, zeroed by the caller) `vm`'s PC and creates its devices at TSC
 * `now`: the clock of the RTC from the host date given, CMOS memory sizes from `ramBytes`.
 */
export function pcCreate(vm: Vm, block: usize, tscHz: u64, now: u64, ramBytes: u64,
    year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32): void {
  store<u32>(BLOCKS + (<usize>(vm.id % MAX_VMS) << 2), <u32>block);
  const lines = pcLines(block);
  irqLinesInit(lines);
  uartInit(pcUart(block), lines, 4, tscHz);
  picInit(pcPic(block));
  pitInit(pcPit(block), lines, tscHz);
  sysctlInit(pcSysCtl(block), pcPit(block));
  rtcInit(pcRtc(block), lines, tscHz, now, year, month, day, hour, minute, second, ramBytes, 0);
  pciHostInit(pcPci(block), changetype<PciFunction>(block + OFF_BRIDGE));
  pmInit(pcPm(block), tscHz, now);
  ioapicInit(pcIoapic(block), IOAPIC_DEFAULT_ID);
  // x2APIC is not offered (the CPUID policy hides it): Linux would use it only with interrupt
  // remapping or a hypervisor it knows, and the xAPIC page is what it probes.
  lapicInit(pcLapic(block), 0, true, tscHz, false);
  irqLinesCommit(lines);
  const c = pcCtl(block);
  c.tscHz = tscHz;
  c.firstEntry = 0;
  c.stop = PcStop.NONE;
  c.nmi = 0;
  c.irqsInjected = 0;
  pcRecompute(block, now);
}

/** The earliest device deadline into PcCtl.next. */
function pcRecompute(b: usize, now: u64): void {
  let n = pitNextEvent(pcPit(b), now);
  n = min<u64>(n, uartNextEvent(pcUart(b), now));
  n = min<u64>(n, rtcNextEvent(pcRtc(b), now));
  n = min<u64>(n, pmNextEvent(pcPm(b), now));
  n = min<u64>(n, lapicNextEvent(pcLapic(b), now));
  pcCtl(b).next = n;
}

/**
 * After any device access or tick: the SCI follows the PM device, the PIC and IOAPIC sample the
 * lines (platform README "Interrupts"), the IOAPIC's messages reach the LAPIC, the UART's output
 * goes to the VM's console, and the next deadline is recomputed.
 */
export function pcSync(vm: Vm, b: usize, now: u64): void {
  const lines = pcLines(b);
  irqSet(lines, SCI_IRQ, pmSciLevel(pcPm(b), now));
  picSyncLines(pcPic(b), lines);
  const io = pcIoapic(b);
  ioapicSync(io, lines);
  irqLinesCommit(lines);
  const msg = changetype<IoapicMsg>(b + OFF_MSG);
  const l = pcLapic(b);
  while (ioapicPop(io, msg)) {
    if (!lapicMatchDest(l, msg.dest, msg.logical != 0, false)) continue;
    const d = lapicDeliver(l, msg.mode, msg.vector, msg.level != 0);
    if (d == LapicDelivery.NMI) pcCtl(b).nmi = 1;
  }
  const u = pcUart(b);
  while (uartTxCount(u) != 0) {
    const c = uartTxPop(u, now);
    if (c < 0) break;
    vmConsolePutByte(vm, <u32>c);
  }
  pcRecompute(b, now);
}

/** Timer service at TSC `now` (≥ PcCtl.next): every device whose time came ticks, then pcSync. */
export function pcTick(vm: Vm, b: usize, now: u64): void {
  pitTick(pcPit(b), now);
  uartTick(pcUart(b), now);
  rtcTick(pcRtc(b), now);
  lapicTimerService(pcLapic(b), now);
  pcSync(vm, b, now);
}

/**
 * The interrupt to inject now, acknowledged at its controller (LAPIC IRR → ISR, SDM Vol 3A
 * §11.8.4; or the 8259's INTA when LINT0 is the virtual wire, MP spec §3.6.2.2), or -1. Called
 * only in the entry that injects it (pc-run.ts, src/vmm/events/ext-irq.ts): the guest must be
 * able to take it, since the acknowledgement cannot be undone.
 */
export function pcTakeInterrupt(vm: Vm, b: usize, now: u64): i32 {
  const l = pcLapic(b);
  const v = lapicPendingVector(l);
  if (v >= 0) {
    lapicAck(l, <u32>v);
    return v;
  }
  const pic = pcPic(b);
  if (lapicAcceptsPicIntr(l) && picPendingVector(pic) >= 0) {
    const pv = picAck(pic);
    pcSync(vm, b, now);
    return <i32>pv;
  }
  return -1;
}

/** Whether an interrupt waits (for a halted vCPU: whether to wake it). Changes nothing. */
export function pcInterruptWaiting(b: usize): bool {
  const l = pcLapic(b);
  if (lapicPendingVector(l) >= 0) return true;
  return lapicAcceptsPicIntr(l) && picPendingVector(pcPic(b)) >= 0;
}
