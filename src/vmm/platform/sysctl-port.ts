// Port 0x61, "system control port B" of the PC/AT (IBM PC/AT Technical Reference, "System
// control port" / 8255 port B on the PC; kept by every chipset since, e.g. Intel PIIX4 data
// sheet §4.1.23 NMI Status and Control Register), and port 0x80, the POST diagnostic port.
//
// Port 0x61 bits:                       write                 read
//   0  TIM2GATESPK                      8254 channel 2 GATE   as written
//   1  SPKRDAT                          speaker data enable   as written
//   2  PCHK enable (active low)         stored                as written
//   3  IOCHK enable (active low)        stored                as written
//   4  refresh cycle toggle             ignored               flips every 15.085 µs
//   5  OUT2                             ignored               8254 channel 2 output
//   6  IOCHK NMI source                 ignored               0 (no I/O channel errors)
//   7  SERR#/PCHK NMI source            ignored               0 (no parity errors)
// Linux's TSC/PIT calibration (arch/x86/kernel/tsc.c pit_calibrate_tsc) sets bit 0, clears bit
// 1, programs channel 2 in mode 0 and polls bit 5; its udelay-free delays poll bit 4.
//
// Port 0x80: POST codes; Linux writes it as an I/O delay (arch/x86/kernel/io_delay.c). Writes are
// accepted and the last code kept for diagnostics; reads return 0xFF, as on QEMU (nothing on
// the ISA bus drives it). The speaker itself is not modelled: it has no output device here.
//
// State (SYSCTL_STATE_SIZE bytes, caller-owned): +0 pit u32 (Pit*), +4 portB u32 (bits 3:0),
// +8 postCode u32, +12 postWrites u32.

import { Pit, pitOutput, pitSetGate } from "./pit8254";
import { tscToPit } from "./time";

export const SYSCTL_PORT: u32 = 0x61;
export const POST_PORT: u32 = 0x80;
export const SYSCTL_STATE_SIZE: u32 = 16;
/** DRAM refresh requests come every 15.085 µs = 18 PIT clocks (PC/AT: channel 1, count 18). */
const REFRESH_PIT_CLOCKS: u64 = 18;

@unmanaged export class SysCtl {
  pit: u32;
  portB: u32;
  postCode: u32;
  postWrites: u32;
}

export function sysctlInit(s: SysCtl, pit: Pit): void {
  s.pit = <u32>changetype<usize>(pit);
  s.portB = 0;
  s.postCode = 0;
  s.postWrites = 0;
}

function portBValue(s: SysCtl, now: u64): u32 {
  const pit = changetype<Pit>(<usize>s.pit);
  const refresh = <u32>((tscToPit(now, pit.tscHz) / REFRESH_PIT_CLOCKS) & 1) << 4;
  const out2: u32 = pitOutput(pit, 2, now) ? 0x20 : 0;
  return (s.portB & 0x0F) | refresh | out2;
}

/** IN from port 0x61 (+offset for wide accesses, whose upper bytes float high). */
export function sysctlRead(s: SysCtl, offset: u32, size: u32, now: u64): u32 {
  if (size != 1 && size != 2 && size != 4) return 0xFFFFFFFF;
  const hi: u32 = size == 4 ? 0xFFFFFF00 : size == 2 ? 0xFF00 : 0;
  return (offset == 0 ? portBValue(s, now) : 0xFF) | hi;
}

/** OUT to port 0x61: bits 3:0 stored, bit 0 drives channel 2's GATE. */
export function sysctlWrite(s: SysCtl, offset: u32, size: u32, value: u32, now: u64): void {
  if (offset != 0 || (size != 1 && size != 2 && size != 4)) return;
  s.portB = value & 0x0F;
  pitSetGate(changetype<Pit>(<usize>s.pit), 2, (value & 1) != 0, now);
}

/** IN from port 0x80: nothing drives it. */
export function postRead(s: SysCtl, offset: u32, size: u32, now: u64): u32 {
  return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFF;
}

/** OUT to port 0x80: kept as the last POST code, otherwise dropped. */
export function postWrite(s: SysCtl, offset: u32, size: u32, value: u32, now: u64): void {
  if (offset != 0) return;
  s.postCode = value & 0xFF;
  s.postWrites++;
}
