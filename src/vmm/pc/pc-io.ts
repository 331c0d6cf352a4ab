// Guest accesses to the PC platform (pc.ts): I/O ports, the LAPIC and IOAPIC pages, the LAPIC's
// MSRs. src/vmm/devices/dispatch.ts routes bus ranges of kind PC_PORTS / PC_LAPIC / PC_IOAPIC
// here, src/vmm/exits/msr.ts the MSRs lapicOwnsMsr names. Every access ends with pcSync, so an
// interrupt a write raised is routed before the next VM entry.
//
// The port map (platform README; ACPI FADT of src/vmm/acpi/fadt.ts):
//   0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1 8259 + ELCR    0x40-0x43 8254    0x61 port B
//   0x70-0x71 RTC/CMOS      0x3F8-0x3FF COM1          0x600-0x60B ACPI PM
//   0xCF8-0xCFF PCI configuration mechanism #1, except the byte at 0xCF9: the reset control
//   register (Intel PIIX/ICH "RST_CNT": bit 2 0→1 resets, bit 1 selects a hard reset)
//   0x60, 0x64: an absent 8042 (reads all-ones) whose command 0xFE still pulses reset, as the
//   keyboard-controller reset path of Linux's reboot (arch/x86/kernel/reboot.c) expects.

import { hw_rdtsc } from "../../hw";
import { Vm } from "../vm";
import { pcBlock, pcSync, pcCtl, pcPic, pcPit, pcSysCtl, pcRtc, pcUart, pcPci, pcPm, pcLapic, pcIoapic, PcStop } from "./pc";
import { picPortRead, picPortWrite } from "../platform/pic8259";
import { pitRead, pitWrite } from "../platform/pit8254";
import { sysctlRead, sysctlWrite } from "../platform/sysctl-port";
import { rtcRead, rtcWrite } from "../platform/rtc146818";
import { uartRead, uartWrite } from "../platform/serial16550";
import { pciHostRead, pciHostWrite } from "../platform/pci-host";
import { pmRead, pmWrite, PmAction, PM_PORT_BASE, PM_PORT_COUNT } from "../acpi/pm";
import { lapicMmioRead, lapicMmioWrite } from "../platform/lapic-mmio";
import { lapicRdmsr, lapicWrmsr } from "../platform/lapic-x2apic";
import { LapicExit } from "../platform/lapic-state";
import { lapicIpiTargets, lapicIpiDeliver } from "../platform/lapic-icr";
import { ioapicMmioRead, ioapicMmioWrite, ioapicEoi } from "../platform/ioapic";
import { Bus, BusStatus, busRegister } from "../bus/bus";
import { DeviceKind } from "../devices/kinds";

export const PORT_PIC_MASTER: u32 = 0x20;
export const PORT_PIC_SLAVE: u32 = 0xA0;
export const PORT_ELCR: u32 = 0x4D0;
export const PORT_PIT: u32 = 0x40;
export const PORT_SYSCTL: u32 = 0x61;
export const PORT_RTC: u32 = 0x70;
export const PORT_COM1: u32 = 0x3F8;
export const PORT_PCI: u32 = 0xCF8;
export const PORT_RESET_CTL: u32 = 0xCF9;
export const PORT_KBC_DATA: u32 = 0x60;
export const PORT_KBC_CMD: u32 = 0x64;
/** POST diagnostics: handed to the hardware (DeviceKind.PASSTHROUGH), see pcRegisterPorts. */
export const PORT_POST: u32 = 0x80;
const RST_CNT_RESET: u32 = 1 << 2;
const KBC_CMD_PULSE_RESET: u32 = 0xFE;

/**
 * Registers the PC's port ranges on `bus` (kind PC_PORTS, ctx = the VM). Port 0x80 passes
 * through: Linux's outb_p writes it after every slow I/O access (io_delay), and a POST code on
 * the host's diagnostics port is harmless, so it costs no VM exit.
 */
export function pcRegisterPorts(bus: Bus, vm: Vm): BusStatus {
  const ctx = changetype<usize>(vm);
  let st = busRegister(bus, PORT_PIC_MASTER, 2, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_PIC_SLAVE, 2, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_ELCR, 2, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_PIT, 4, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_SYSCTL, 1, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_RTC, 2, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_COM1, 8, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, <u64>PM_PORT_BASE, <u64>PM_PORT_COUNT, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_PCI, 8, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_KBC_DATA, 1, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_KBC_CMD, 1, DeviceKind.PC_PORTS, ctx);
  st = st != BusStatus.OK ? st : busRegister(bus, PORT_POST, 1, DeviceKind.PASSTHROUGH, 0);
  return st;
}

/** IN of `size` bytes from a registered PC port. */
export function pcPortRead(vm: Vm, port: u32, size: u32): u32 {
  const b = pcBlock(vm);
  if (b == 0) return 0xFFFFFFFF;
  const now = hw_rdtsc();
  let v: u32 = 0xFFFFFFFF;
  if (port >= PORT_COM1 && port < PORT_COM1 + 8) v = uartRead(pcUart(b), port - PORT_COM1, size, now);
  else if (port >= PORT_PIT && port < PORT_PIT + 4) v = pitRead(pcPit(b), port - PORT_PIT, size, now);
  else if (port == PORT_SYSCTL) v = sysctlRead(pcSysCtl(b), 0, size, now);
  else if (port >= PORT_RTC && port < PORT_RTC + 2) v = rtcRead(pcRtc(b), port - PORT_RTC, size, now);
  else if (port >= PM_PORT_BASE && port < PM_PORT_BASE + PM_PORT_COUNT) v = pmRead(pcPm(b), port, size, now);
  else if (port == PORT_RESET_CTL && size == 1) v = 0;
  else if (port >= PORT_PCI && port < PORT_PCI + 8) v = pciHostRead(pcPci(b), port - PORT_PCI, size, now);
  else if (port == PORT_KBC_DATA || port == PORT_KBC_CMD) v = 0xFFFFFFFF;
  else v = picPortRead(pcPic(b), port, size, now);
  pcSync(vm, b, now);
  return size >= 4 ? v : v & ((<u32>1 << (size * 8)) - 1);
}

/** OUT of the low `size` bytes of `value` to a registered PC port. */
export function pcPortWrite(vm: Vm, port: u32, size: u32, value: u32): void {
  const b = pcBlock(vm);
  if (b == 0) return;
  const now = hw_rdtsc();
  if (port >= PORT_COM1 && port < PORT_COM1 + 8) uartWrite(pcUart(b), port - PORT_COM1, size, value, now);
  else if (port >= PORT_PIT && port < PORT_PIT + 4) pitWrite(pcPit(b), port - PORT_PIT, size, value, now);
  else if (port == PORT_SYSCTL) sysctlWrite(pcSysCtl(b), 0, size, value, now);
  else if (port >= PORT_RTC && port < PORT_RTC + 2) rtcWrite(pcRtc(b), port - PORT_RTC, size, value, now);
  else if (port >= PM_PORT_BASE && port < PM_PORT_BASE + PM_PORT_COUNT) {
    if (pmWrite(pcPm(b), port, size, value, now) == PmAction.POWER_OFF) pcCtl(b).stop = PcStop.S5;
  } else if (port == PORT_RESET_CTL && size == 1) {
    if ((value & RST_CNT_RESET) != 0) pcCtl(b).stop = PcStop.RESET_CF9;
  } else if (port >= PORT_PCI && port < PORT_PCI + 8) pciHostWrite(pcPci(b), port - PORT_PCI, size, value, now);
  else if (port == PORT_KBC_CMD) {
    if ((value & 0xFF) == KBC_CMD_PULSE_RESET) pcCtl(b).stop = PcStop.RESET_8042;
  } else if (port == PORT_KBC_DATA) {
    // No keyboard: data written to the absent controller is dropped.
  } else picPortWrite(pcPic(b), port, size, value, now);
  pcSync(vm, b, now);
}

/** What a LAPIC write asks of the platform: the IOAPIC EOI, or a self-IPI (one vCPU per VM). */
function lapicFollowUp(b: usize, x: LapicExit): void {
  const l = pcLapic(b);
  if (x == LapicExit.EOI_LEVEL) ioapicEoi(pcIoapic(b), l.eoiVector);
  else if (x == LapicExit.SEND_IPI && lapicIpiTargets(l, l)) lapicIpiDeliver(l, l.sendLow);
}

export function pcLapicMmioRead(vm: Vm, offset: u64, size: u32): u64 {
  const b = pcBlock(vm);
  if (b == 0) return 0;
  return lapicMmioRead(pcLapic(b), offset, size, hw_rdtsc());
}

export function pcLapicMmioWrite(vm: Vm, offset: u64, size: u32, value: u64): void {
  const b = pcBlock(vm);
  if (b == 0) return;
  const now = hw_rdtsc();
  lapicFollowUp(b, lapicMmioWrite(pcLapic(b), offset, size, value, now));
  pcSync(vm, b, now);
}

export function pcIoapicMmioRead(vm: Vm, offset: u64, size: u32): u64 {
  const b = pcBlock(vm);
  if (b == 0) return 0;
  return ioapicMmioRead(pcIoapic(b), offset, size);
}

export function pcIoapicMmioWrite(vm: Vm, offset: u64, size: u32, value: u64): void {
  const b = pcBlock(vm);
  if (b == 0) return;
  ioapicMmioWrite(pcIoapic(b), offset, size, value);
  pcSync(vm, b, hw_rdtsc());
}

/** RDMSR of a LAPIC MSR into `cell`; false = #GP(0). */
export function pcLapicRdmsr(vm: Vm, msr: u32, cell: usize): bool {
  const b = pcBlock(vm);
  if (b == 0) return false;
  return lapicRdmsr(pcLapic(b), msr, hw_rdtsc(), cell);
}

/** WRMSR of a LAPIC MSR; false = #GP(0). */
export function pcLapicWrmsr(vm: Vm, msr: u32, value: u64, maxPhysBits: u32): bool {
  const b = pcBlock(vm);
  if (b == 0) return false;
  const now = hw_rdtsc();
  const x = lapicWrmsr(pcLapic(b), msr, value, now, maxPhysBits);
  if (x == LapicExit.GP) return false;
  lapicFollowUp(b, x);
  pcSync(vm, b, now);
  return true;
}
