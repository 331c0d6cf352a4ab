// Integer time conversions shared by the platform's timer models. Time is the host TSC (`now`,
// passed into every model call); each model holds the TSC frequency given at its creation.
//
// Conversions are exact floors/ceilings of a rational scale, computed as q·num + (r·num)/den after
// splitting a = q·den + r, so nothing overflows 64 bits and nothing drifts: a model converts the
// whole elapsed TSC since a fixed origin (a count load, an RTC set), never sums rounded steps.
// The bound that makes r·num safe: den, num ≤ 2^40 and r·num < den·num ≤ 2^61 for the PIT's and
// RTC's rates (≤ 2^21 Hz) against any TSC frequency clampTscHz lets through.

/** The 8254's input clock on the PC: 14.31818 MHz / 12 = 1.193182 MHz (IBM PC/AT Tech. Ref.). */
export const PIT_HZ: u64 = 1193182;
/** The MC146818's time base: 32.768 kHz crystal (data sheet, "Divider control", DV = 010). */
export const RTC_XTAL_HZ: u64 = 32768;

const MIN_TSC_HZ: u64 = 1000000;
const MAX_TSC_HZ: u64 = <u64>1 << 40;

/** A usable TSC frequency: real ones are 1 MHz … ~10 GHz; the bounds keep the arithmetic exact. */
export function clampTscHz(hz: u64): u64 {
  if (hz < MIN_TSC_HZ) return MIN_TSC_HZ;
  if (hz > MAX_TSC_HZ) return MAX_TSC_HZ;
  return hz;
}

/** ⌊a · num / den⌋ for den ≥ 1 and num · den < 2^64; saturates at u64 max. */
export function mulDivFloor(a: u64, num: u64, den: u64): u64 {
  const q = a / den;
  const r = a % den;
  const hi = q * num;
  if (num != 0 && hi / num != q) return U64.MAX_VALUE;
  const lo = r * num / den;
  return hi + lo < hi ? U64.MAX_VALUE : hi + lo;
}

/** ⌈a · num / den⌉ under the same bounds; saturates at u64 max. */
export function mulDivCeil(a: u64, num: u64, den: u64): u64 {
  const q = a / den;
  const r = a % den;
  const hi = q * num;
  if (num != 0 && hi / num != q) return U64.MAX_VALUE;
  const lo = (r * num + den - 1) / den;
  return hi + lo < hi ? U64.MAX_VALUE : hi + lo;
}

/** Whole PIT clocks in `elapsed` TSC ticks. */
@inline export function tscToPit(elapsed: u64, tscHz: u64): u64 {
  return mulDivFloor(elapsed, PIT_HZ, tscHz);
}

/** The fewest TSC ticks that contain `clocks` whole PIT clocks (inverse of tscToPit). */
@inline export function pitToTsc(clocks: u64, tscHz: u64): u64 {
  return mulDivCeil(clocks, tscHz, PIT_HZ);
}

/** Saturating addition for deadlines (u64 max means "never"). */
@inline export function addSat(a: u64, b: u64): u64 {
  const s = a + b;
  return s < a ? U64.MAX_VALUE : s;
}
