// @ts-nocheck: AssemblyScript, compiled by asc (mk/platform-unit.mk), not by tsc.
// The platform unit-test wasm: thin exports over the device models of src/vmm/platform. Device
// state lives at addresses the tests choose in this module's linear memory (no allocation), and
// every model is reached only through its public functions.

import { IrqLines, irqLinesInit, irqSet, irqPulse, irqLinesCommit, irqLineOfGsi, IRQ_LINES_SIZE } from "../../src/vmm/platform/irq-lines";
import { mulDivFloor, mulDivCeil, tscToPit, pitToTsc } from "../../src/vmm/platform/time";
import {
  Uart, uartInit, uartRead, uartWrite, uartNextEvent, uartTick, uartRxPush, uartTxCount, uartTxPop,
  uartTxDropped, UART_STATE_SIZE,
} from "../../src/vmm/platform/serial16550";
import {
  Pic8259, picInit, picPortRead, picPortWrite, picSyncLines, picPendingVector, picAck, PIC_STATE_SIZE,
} from "../../src/vmm/platform/pic8259";
import { Pit, pitInit, pitRead, pitWrite, pitNextEvent, pitTick, pitOutput, pitSetGate, PIT_STATE_SIZE } from "../../src/vmm/platform/pit8254";
import { SysCtl, sysctlInit, sysctlRead, sysctlWrite, postRead, postWrite, SYSCTL_STATE_SIZE } from "../../src/vmm/platform/sysctl-port";
import { DateTime, civilFromSecs, secsFromCivil, daysFromCivil } from "../../src/vmm/platform/rtc-calendar";
import { Rtc, rtcInit, rtcRead, rtcWrite, rtcNextEvent, rtcTick, rtcNmiMasked, RTC_STATE_SIZE } from "../../src/vmm/platform/rtc146818";
import {
  PciFunction, PciBarKind, pciFnInit, pciFnSetBar, pciFnRead, pciFnWrite, pciFnGeneration, pciFnBarAddress,
  pciFnSet, PCI_FUNCTION_SIZE,
} from "../../src/vmm/platform/pci-function";
import { PciHost, pciHostInit, pciHostAttach, pciHostRead, pciHostWrite, PCI_HOST_SIZE } from "../../src/vmm/platform/pci-host";

// ---------------------------------------------------------------- sizes (tests lay out memory)
export function sizeIrqLines(): u32 { return IRQ_LINES_SIZE; }
export function sizeUart(): u32 { return UART_STATE_SIZE; }
export function sizePic(): u32 { return PIC_STATE_SIZE; }
export function sizePit(): u32 { return PIT_STATE_SIZE; }
export function sizeSysctl(): u32 { return SYSCTL_STATE_SIZE; }
export function sizeRtc(): u32 { return RTC_STATE_SIZE; }
export function sizePciFn(): u32 { return PCI_FUNCTION_SIZE; }
export function sizePciHost(): u32 { return PCI_HOST_SIZE; }

// ---------------------------------------------------------------- irq-lines, time
export function linesInit(l: usize): void { irqLinesInit(changetype<IrqLines>(l)); }
export function linesSet(l: usize, line: u32, level: bool): void { irqSet(changetype<IrqLines>(l), line, level); }
export function linesPulse(l: usize, line: u32, after: bool): void { irqPulse(changetype<IrqLines>(l), line, after); }
export function linesCommit(l: usize): void { irqLinesCommit(changetype<IrqLines>(l)); }
export function linesLevel(l: usize): u32 { return changetype<IrqLines>(l).level; }
export function linesChanged(l: usize): u32 { return changetype<IrqLines>(l).changed; }
export function linesRising(l: usize): u32 { return changetype<IrqLines>(l).rising; }
export function lineOfGsi(g: u32): u32 { return irqLineOfGsi(g); }
export function mdFloor(a: u64, n: u64, d: u64): u64 { return mulDivFloor(a, n, d); }
export function mdCeil(a: u64, n: u64, d: u64): u64 { return mulDivCeil(a, n, d); }
export function toPit(e: u64, hz: u64): u64 { return tscToPit(e, hz); }
export function fromPit(c: u64, hz: u64): u64 { return pitToTsc(c, hz); }

// ---------------------------------------------------------------- 16550A
export function uInit(u: usize, l: usize, irq: u32, hz: u64): void { uartInit(changetype<Uart>(u), changetype<IrqLines>(l), irq, hz); }
export function uRead(u: usize, off: u32, size: u32, now: u64): u32 { return uartRead(changetype<Uart>(u), off, size, now); }
export function uWrite(u: usize, off: u32, size: u32, v: u32, now: u64): void { uartWrite(changetype<Uart>(u), off, size, v, now); }
export function uNext(u: usize, now: u64): u64 { return uartNextEvent(changetype<Uart>(u), now); }
export function uTick(u: usize, now: u64): void { uartTick(changetype<Uart>(u), now); }
export function uRxPush(u: usize, b: u32, now: u64): bool { return uartRxPush(changetype<Uart>(u), b, now); }
export function uTxCount(u: usize): u32 { return uartTxCount(changetype<Uart>(u)); }
export function uTxPop(u: usize, now: u64): i32 { return uartTxPop(changetype<Uart>(u), now); }
export function uTxDropped(u: usize): u32 { return uartTxDropped(changetype<Uart>(u)); }

// ---------------------------------------------------------------- 8259A pair
export function picInitAt(p: usize): void { picInit(changetype<Pic8259>(p)); }
export function picIn(p: usize, port: u32, size: u32): u32 { return picPortRead(changetype<Pic8259>(p), port, size, 0); }
export function picOut(p: usize, port: u32, size: u32, v: u32): void { picPortWrite(changetype<Pic8259>(p), port, size, v, 0); }
export function picSync(p: usize, l: usize): void { picSyncLines(changetype<Pic8259>(p), changetype<IrqLines>(l)); }
export function picPending(p: usize): i32 { return picPendingVector(changetype<Pic8259>(p)); }
export function picInta(p: usize): u32 { return picAck(changetype<Pic8259>(p)); }

// ---------------------------------------------------------------- 8254, port 0x61/0x80
export function pitInitAt(p: usize, l: usize, hz: u64): void { pitInit(changetype<Pit>(p), changetype<IrqLines>(l), hz); }
export function pitIn(p: usize, off: u32, size: u32, now: u64): u32 { return pitRead(changetype<Pit>(p), off, size, now); }
export function pitOut(p: usize, off: u32, size: u32, v: u32, now: u64): void { pitWrite(changetype<Pit>(p), off, size, v, now); }
export function pitNext(p: usize, now: u64): u64 { return pitNextEvent(changetype<Pit>(p), now); }
export function pitTickAt(p: usize, now: u64): void { pitTick(changetype<Pit>(p), now); }
export function pitOutLevel(p: usize, ch: u32, now: u64): bool { return pitOutput(changetype<Pit>(p), ch, now); }
export function pitGate(p: usize, ch: u32, level: bool, now: u64): void { pitSetGate(changetype<Pit>(p), ch, level, now); }
export function sysInit(s: usize, p: usize): void { sysctlInit(changetype<SysCtl>(s), changetype<Pit>(p)); }
export function sysIn(s: usize, off: u32, size: u32, now: u64): u32 { return sysctlRead(changetype<SysCtl>(s), off, size, now); }
export function sysOut(s: usize, off: u32, size: u32, v: u32, now: u64): void { sysctlWrite(changetype<SysCtl>(s), off, size, v, now); }
export function postIn(s: usize, off: u32, size: u32): u32 { return postRead(changetype<SysCtl>(s), off, size, 0); }
export function postOut(s: usize, off: u32, size: u32, v: u32): void { postWrite(changetype<SysCtl>(s), off, size, v, 0); }
export function postCode(s: usize): u32 { return changetype<SysCtl>(s).postCode; }

// ---------------------------------------------------------------- RTC
export function calSecs(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32, scratch: usize): i64 {
  const dt = changetype<DateTime>(scratch);
  dt.year = year; dt.month = month; dt.day = day; dt.hour = h; dt.minute = m; dt.second = s;
  return secsFromCivil(dt);
}
/** civilFromSecs into `scratch`; the test reads the 7 u32 fields. */
export function calCivil(secs: i64, scratch: usize): void { civilFromSecs(secs, changetype<DateTime>(scratch)); }
export function calDays(y: i64, m: u32, d: u32): i64 { return daysFromCivil(y, m, d); }
export function rtcInitAt(r: usize, l: usize, hz: u64, now: u64, y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, below: u64, above: u64): void {
  rtcInit(changetype<Rtc>(r), changetype<IrqLines>(l), hz, now, y, mo, d, h, mi, s, below, above);
}
export function rtcIn(r: usize, off: u32, size: u32, now: u64): u32 { return rtcRead(changetype<Rtc>(r), off, size, now); }
export function rtcOut(r: usize, off: u32, size: u32, v: u32, now: u64): void { rtcWrite(changetype<Rtc>(r), off, size, v, now); }
export function rtcNext(r: usize, now: u64): u64 { return rtcNextEvent(changetype<Rtc>(r), now); }
export function rtcTickAt(r: usize, now: u64): void { rtcTick(changetype<Rtc>(r), now); }
export function rtcNmi(r: usize): bool { return rtcNmiMasked(changetype<Rtc>(r)); }

// ---------------------------------------------------------------- PCI
export function pciFnInitAt(f: usize, vendor: u32, device: u32, cls: u32, rev: u32): void { pciFnInit(changetype<PciFunction>(f), vendor, device, cls, rev); }
export function pciFnBar(f: usize, bar: u32, kind: u32, size: u64, pf: bool): bool { return pciFnSetBar(changetype<PciFunction>(f), bar, <PciBarKind>kind, size, pf); }
export function pciFnSetAt(f: usize, off: u32, size: u32, v: u32): void { pciFnSet(changetype<PciFunction>(f), off, size, v); }
export function pciFnIn(f: usize, off: u32, size: u32): u32 { return pciFnRead(changetype<PciFunction>(f), off, size); }
export function pciFnOut(f: usize, off: u32, size: u32, v: u32): void { pciFnWrite(changetype<PciFunction>(f), off, size, v); }
export function pciFnGen(f: usize): u32 { return pciFnGeneration(changetype<PciFunction>(f)); }
export function pciFnBarAddr(f: usize, bar: u32): u64 { return pciFnBarAddress(changetype<PciFunction>(f), bar); }
export function pciFnDeviceId(f: usize): u32 { return changetype<PciFunction>(f).deviceId; }
export function pciHostInitAt(h: usize, bridge: usize): void { pciHostInit(changetype<PciHost>(h), changetype<PciFunction>(bridge)); }
export function pciHostAttachAt(h: usize, dev: u32, fn: u32, f: usize): bool { return pciHostAttach(changetype<PciHost>(h), dev, fn, changetype<PciFunction>(f)); }
export function pciIn(h: usize, off: u32, size: u32): u32 { return pciHostRead(changetype<PciHost>(h), off, size, 0); }
export function pciOut(h: usize, off: u32, size: u32, v: u32): void { pciHostWrite(changetype<PciHost>(h), off, size, v, 0); }
