// ACPI power-management fixed hardware of the platform: the PM1a event block (PM1_STS, PM1_EN),
// the PM1a control block (PM1_CNT) and the power-management timer, at the I/O ports the FADT
// names (0x600/0x604/0x608, where QEMU's q35 has them, so a guest sees familiar values).
// Spec: ACPI 6.4 §4.8.2.1 (PM timer: 3.579545 MHz, 24 or 32 bits; TMR_STS when the top bit
// toggles), §4.8.3.1 (PM1 event registers, Tables 4.16/4.17), §4.8.3.2 (PM1 control, Table
// 4.18: SCI_EN 0, BM_RLD 1, GBL_RLS 2 (write-only), SLP_TYPx 12:10, SLP_EN 13 (write-only)),
// §4.8.3.1.1 (the fixed power button), §7.4.2 (\_Sx objects), §16.1.7 (entering S5: write
// SLP_TYPa with SLP_EN).
//
// Choices:
//   - The timer is 32 bits wide (FADT TMR_VAL_EXT). TMR_STS is set whenever bit 31 toggles,
//     computed from `now` (no periodic work); pmNextEvent says when the next toggle raises an
//     SCI if TMR_EN is set.
//   - SMI_CMD is 0 (no SMM, no legacy mode): SCI_EN is set at reset and stays set (hardware-only
//     bit, §4.8.2.5), so the OS finds the platform already in ACPI mode.
//   - A fixed-feature power button exists (FADT PWR_BUTTON clear): pmPowerButton lets the VMM ask
//     the guest for an orderly shutdown (PWRBTN_STS → SCI → Linux powers off).
//   - SLP_EN with SLP_TYP = PM_S5_SLP_TYP (the value the DSDT's \_S5 gives) is "soft off":
//     pmWrite returns PmAction.POWER_OFF and the VMM ends the VM. No other sleep state is
//     declared in the DSDT, so other SLP_TYP values do nothing.
// The SCI is the level of (PM1_STS & PM1_EN) while SCI_EN: the VMM drives IrqLines line 9
// (FADT SCI_INT, MADT override: level, active high) with pmSciLevel after every access/event.
//
// Ports are byte lanes: any 1/2/4-byte access inside [PM_PORT_BASE, PM_PORT_BASE + PM_PORT_COUNT)
// works bytewise (Linux uses 16-bit PM1 accesses and 32-bit timer reads). Unused ports read 0.
//
// State (PM_STATE_SIZE = 40 bytes, caller-owned, 8-aligned):
//   0 tscHz u64   8 origin u64 (TSC where the timer read 0)   16 tmrEpoch u64 (timer bit-31
//   toggles counted when TMR_STS was last brought up to date)   24 sts u32 (PM1_STS but TMR_STS)
//   28 en u32   32 cnt u32   36 tmrSts u32

import { mulDivFloor, mulDivCeil, addSat, clampTscHz } from "../platform/time";

export const PM_STATE_SIZE: u32 = 40;
export const PM_PORT_BASE: u32 = 0x600;
export const PM_PORT_COUNT: u32 = 12;
export const PM1A_EVT_PORT: u32 = 0x600;
export const PM1_EVT_LEN: u32 = 4;
export const PM1A_CNT_PORT: u32 = 0x604;
export const PM1_CNT_LEN: u32 = 2;
export const PM_TMR_PORT: u32 = 0x608;
export const PM_TMR_LEN: u32 = 4;
/** The SCI's ISA IRQ / GSI (FADT SCI_INT). */
export const SCI_IRQ: u32 = 9;
/** SLP_TYPa value of S5 (soft off): the first element of the DSDT's \_S5 package. */
export const PM_S5_SLP_TYP: u32 = 5;
/** The PM timer's clock (ACPI 6.4 §4.8.2.1). */
export const PM_TIMER_HZ: u64 = 3579545;

// PM1_STS / PM1_EN bits (Tables 4.16, 4.17).
export const PM1_TMR: u32 = 1 << 0;
export const PM1_BM: u32 = 1 << 4;
export const PM1_GBL: u32 = 1 << 5;
export const PM1_PWRBTN: u32 = 1 << 8;
export const PM1_SLPBTN: u32 = 1 << 9;
export const PM1_RTC: u32 = 1 << 10;
export const PM1_PCIEXP_WAKE: u32 = 1 << 14;
export const PM1_WAK: u32 = 1 << 15;
const STS_W1C: u32 = 0xC731;
const EN_WRITABLE: u32 = 0x4721;
// PM1_CNT bits (Table 4.18).
export const PM1_SCI_EN: u32 = 1 << 0;
const CNT_STORED: u32 = 0x1C03; // SCI_EN, BM_RLD, SLP_TYP; GBL_RLS and SLP_EN are write-only
const SLP_EN: u32 = 1 << 13;

export const enum PmAction {
  NONE = 0,
  /** The guest entered S5: end the VM. */
  POWER_OFF = 1,
}

@unmanaged export class AcpiPm {
  tscHz: u64;
  origin: u64;
  tmrEpoch: u64;
  sts: u32;
  en: u32;
  cnt: u32;
  tmrSts: u32;
}

/** Power-on state at TSC `now`: timer at 0, no events, SCI_EN set (see the header). */
export function pmInit(pm: AcpiPm, tscHz: u64, now: u64): void {
  pm.tscHz = clampTscHz(tscHz);
  pm.origin = now;
  pm.tmrEpoch = 0;
  pm.sts = 0;
  pm.en = 0;
  pm.cnt = PM1_SCI_EN;
  pm.tmrSts = 0;
}

/** Whole PM timer ticks since the origin (a 64-bit count; the register shows its low 32 bits). */
function ticks(pm: AcpiPm, now: u64): u64 {
  return now <= pm.origin ? 0 : mulDivFloor(now - pm.origin, PM_TIMER_HZ, pm.tscHz);
}

/** Brings TMR_STS up to date: set if bit 31 toggled since it was last looked at. */
function refreshTmr(pm: AcpiPm, now: u64): void {
  const epoch = ticks(pm, now) >> 31;
  if (epoch != pm.tmrEpoch) {
    pm.tmrSts = 1;
    pm.tmrEpoch = epoch;
  }
}

/** The PM timer register (TMR_VAL, 32 bits). */
export function pmTimer(pm: AcpiPm, now: u64): u32 { return <u32>ticks(pm, now); }

function stsValue(pm: AcpiPm): u32 { return pm.sts | (pm.tmrSts != 0 ? PM1_TMR : 0); }

/** Byte `off` of the block (0-11) as the guest reads it; `tmr` is the timer value of the access. */
function readByte(pm: AcpiPm, off: u32, tmr: u32): u32 {
  if (off < 2) return (stsValue(pm) >> (8 * off)) & 0xFF;
  if (off < 4) return (pm.en >> (8 * (off - 2))) & 0xFF;
  if (off < 6) return (pm.cnt >> (8 * (off - 4))) & 0xFF;
  if (off >= 8 && off < 12) return (tmr >> (8 * (off - 8))) & 0xFF;
  return 0;
}

/** Whether `port`..`port + size` is a valid access to this device. */
export function pmOwnsPort(port: u32, size: u32): bool {
  return (size == 1 || size == 2 || size == 4) && port >= PM_PORT_BASE && port + size <= PM_PORT_BASE + PM_PORT_COUNT;
}

/** IN of `size` bytes at `port`; outside the block (or a bad size) reads all ones. */
export function pmRead(pm: AcpiPm, port: u32, size: u32, now: u64): u32 {
  if (!pmOwnsPort(port, size)) return 0xFFFFFFFF;
  refreshTmr(pm, now);
  const tmr = pmTimer(pm, now);
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) v |= readByte(pm, port - PM_PORT_BASE + i, tmr) << (8 * i);
  return v;
}

/** OUT of `size` bytes at `port`. Returns POWER_OFF when the write enters S5. */
export function pmWrite(pm: AcpiPm, port: u32, size: u32, value: u32, now: u64): PmAction {
  if (!pmOwnsPort(port, size)) return PmAction.NONE;
  refreshTmr(pm, now);
  let sleep = false;
  for (let i: u32 = 0; i < size; i++) {
    const off = port - PM_PORT_BASE + i;
    const b = (value >> (8 * i)) & 0xFF;
    if (off < 2) {
      const clear = (b << (8 * off)) & STS_W1C; // write 1 to clear (§4.8.3.1)
      pm.sts &= ~clear;
      if ((clear & PM1_TMR) != 0) pm.tmrSts = 0;
    } else if (off < 4) {
      const sh = 8 * (off - 2);
      pm.en = (pm.en & ~(0xFF << sh)) | ((b << sh) & EN_WRITABLE);
    } else if (off < 6) {
      const sh = 8 * (off - 4);
      const w = b << sh;
      pm.cnt = (pm.cnt & ~((0xFF << sh) & CNT_STORED)) | (w & CNT_STORED) | PM1_SCI_EN;
      if ((w & SLP_EN) != 0) sleep = true;
    }
    // Timer bytes (8-11) are read-only; 6-7 are not registers.
  }
  if (sleep && ((pm.cnt >> 10) & 7) == PM_S5_SLP_TYP) return PmAction.POWER_OFF;
  return PmAction.NONE;
}

/** The fixed power button was pressed (e.g. a management "shutdown" request). */
export function pmPowerButton(pm: AcpiPm): void { pm.sts |= PM1_PWRBTN; }

/** The SCI line level: an enabled status bit is set and SCI_EN is on. */
export function pmSciLevel(pm: AcpiPm, now: u64): bool {
  refreshTmr(pm, now);
  return (pm.cnt & PM1_SCI_EN) != 0 && (stsValue(pm) & pm.en & EN_WRITABLE) != 0;
}

/** TSC at which TMR_STS will next rise with TMR_EN set (for the VMM's timer), else U64.MAX. */
export function pmNextEvent(pm: AcpiPm, now: u64): u64 {
  refreshTmr(pm, now);
  if ((pm.en & PM1_TMR) == 0 || pm.tmrSts != 0) return U64.MAX_VALUE;
  const next = (ticks(pm, now) >> 31) + 1;
  return addSat(pm.origin, mulDivCeil(next << 31, pm.tscHz, PM_TIMER_HZ));
}
