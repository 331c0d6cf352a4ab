// @ts-nocheck: AssemblyScript, compiled by asc (mk/apic-acpi-unit.mk), not by tsc.
// The LAPIC/IOAPIC unit-test wasm: thin exports over src/vmm/platform/lapic*.ts and ioapic.ts.
// State blocks live at addresses the tests choose in this module's linear memory.

import { Lapic, lapicInit, lapicReadBase, LAPIC_STATE_SIZE, LapicExit } from "../../src/vmm/platform/lapic-state";
import {
  lapicPpr, lapicAccept, lapicPendingVector, lapicAck, lapicEoi, lapicMatchDest, lapicDeliver,
  lapicAcceptsPicIntr, lapicLint,
} from "../../src/vmm/platform/lapic-irq";
import {
  lapicTimerService, lapicNextEvent, lapicTimerCurrent, lapicCpuid15, lapicCpuid16,
} from "../../src/vmm/platform/lapic-timer";
import { lapicMmioRead, lapicMmioWrite } from "../../src/vmm/platform/lapic-mmio";
import { lapicRdmsr, lapicWrmsr } from "../../src/vmm/platform/lapic-x2apic";
import { lapicIpiTargets, lapicIpiDeliver } from "../../src/vmm/platform/lapic-icr";
import { lapicReadCr8, lapicWriteCr8 } from "../../src/vmm/platform/lapic-regs";
import {
  Ioapic, IoapicMsg, ioapicInit, ioapicSync, ioapicPop, ioapicEoi, ioapicMmioRead, ioapicMmioWrite,
  ioapicSetExtIntPin, IOAPIC_STATE_SIZE,
} from "../../src/vmm/platform/ioapic";
import { IrqLines, irqLinesInit, irqSet, irqPulse, irqLinesCommit } from "../../src/vmm/platform/irq-lines";

@inline function L(a: usize): Lapic { return changetype<Lapic>(a); }

export function lapicSize(): u32 { return LAPIC_STATE_SIZE; }
export function lInit(a: usize, id: u32, bsp: bool, tscHz: u64, x2: bool): void { lapicInit(L(a), id, bsp, tscHz, x2); }
export function lBase(a: usize): u64 { return lapicReadBase(L(a)); }
export function lPpr(a: usize): u32 { return lapicPpr(L(a)); }
export function lAccept(a: usize, v: u32, level: bool): bool { return lapicAccept(L(a), v, level); }
export function lPending(a: usize): i32 { return lapicPendingVector(L(a)); }
export function lAck(a: usize, v: u32): bool { return lapicAck(L(a), v); }
export function lEoi(a: usize): u32 { return lapicEoi(L(a)); }
export function lEoiVector(a: usize): u32 { return L(a).eoiVector; }
export function lMatch(a: usize, dest: u32, logical: bool, wide: bool): bool { return lapicMatchDest(L(a), dest, logical, wide); }
export function lDeliver(a: usize, mode: u32, v: u32, level: bool): u32 { return lapicDeliver(L(a), mode, v, level); }
export function lPicIntr(a: usize): bool { return lapicAcceptsPicIntr(L(a)); }
export function lLint(a: usize, pin: u32): u32 { return lapicLint(L(a), pin); }
export function lService(a: usize, now: u64): bool { return lapicTimerService(L(a), now); }
export function lNext(a: usize, now: u64): u64 { return lapicNextEvent(L(a), now); }
export function lCurrent(a: usize, now: u64): u32 { return lapicTimerCurrent(L(a), now); }
export function lCpuid15(tscHz: u64, out: usize): void { lapicCpuid15(tscHz, out); }
export function lCpuid16(tscHz: u64, out: usize): void { lapicCpuid16(tscHz, out); }
export function lRead(a: usize, off: u64, size: u32, now: u64): u64 { return lapicMmioRead(L(a), off, size, now); }
export function lWrite(a: usize, off: u64, size: u32, v: u64, now: u64): u32 { return lapicMmioWrite(L(a), off, size, v, now); }
export function lRdmsr(a: usize, msr: u32, now: u64, cell: usize): bool { return lapicRdmsr(L(a), msr, now, cell); }
export function lWrmsr(a: usize, msr: u32, v: u64, now: u64, maxPhys: u32): u32 { return lapicWrmsr(L(a), msr, v, now, maxPhys); }
export function lSendLow(a: usize): u32 { return L(a).sendLow; }
export function lSendDest(a: usize): u32 { return L(a).sendDest; }
export function lIpiTargets(sender: usize, target: usize): bool { return lapicIpiTargets(L(sender), L(target)); }
export function lIpiDeliver(target: usize, low: u32): u32 { return lapicIpiDeliver(L(target), low); }
export function lCr8(a: usize): u64 { return lapicReadCr8(L(a)); }
export function lSetCr8(a: usize, v: u64): void { lapicWriteCr8(L(a), v); }
export function exitGp(): u32 { return LapicExit.GP; }

@inline function IO(a: usize): Ioapic { return changetype<Ioapic>(a); }
export function ioapicSize(): u32 { return IOAPIC_STATE_SIZE; }
export function ioInit(a: usize, id: u32): void { ioapicInit(IO(a), id); }
export function ioSync(a: usize, lines: usize): void { ioapicSync(IO(a), changetype<IrqLines>(lines)); }
export function ioPop(a: usize, msg: usize): bool { return ioapicPop(IO(a), changetype<IoapicMsg>(msg)); }
export function ioEoi(a: usize, v: u32): void { ioapicEoi(IO(a), v); }
export function ioRead(a: usize, off: u64, size: u32): u64 { return ioapicMmioRead(IO(a), off, size); }
export function ioWrite(a: usize, off: u64, size: u32, v: u64): void { ioapicMmioWrite(IO(a), off, size, v); }
export function ioExtInt(a: usize, level: bool): void { ioapicSetExtIntPin(IO(a), level); }
export function linesInit(a: usize): void { irqLinesInit(changetype<IrqLines>(a)); }
export function linesSet(a: usize, line: u32, level: bool): void { irqSet(changetype<IrqLines>(a), line, level); }
export function linesPulse(a: usize, line: u32): void { irqPulse(changetype<IrqLines>(a), line, false); }
export function linesCommit(a: usize): void { irqLinesCommit(changetype<IrqLines>(a)); }
