// Proleptic Gregorian calendar arithmetic for the RTC model, integers only: days since
// 1970-01-01 ⇄ (year, month, day), after H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms" (days_from_civil / civil_from_days), which are exact for any year in i64 range.
//
// DateTime (32 bytes, caller-owned, all u32): +0 year (full, e.g. 2024) +4 month 1-12 +8 day 1-31
// +12 hour 0-23 +16 minute +20 second +24 weekday 1-7 (1 = Sunday, the MC146818's convention)
// +28 pad.

export const DATETIME_SIZE: u32 = 32;
const SECS_PER_DAY: i64 = 86400;

@unmanaged export class DateTime {
  year: u32;
  month: u32;
  day: u32;
  hour: u32;
  minute: u32;
  second: u32;
  weekday: u32;
  _pad: u32;
}

/** Floor division (i64 `/` truncates toward zero). */
@inline function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/** Days from 1970-01-01 to year-month-day (month 1-12, day 1-31; larger days roll over). */
export function daysFromCivil(year: i64, month: u32, day: u32): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const mp: i64 = month > 2 ? <i64>month - 3 : <i64>month + 9;
  const doy = (153 * mp + 2) / 5 + <i64>day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** Fills `out` with the civil date and time of `secs` seconds after 1970-01-01T00:00:00. */
export function civilFromSecs(secs: i64, out: DateTime): void {
  const days = floorDiv(secs, SECS_PER_DAY);
  const sod = secs - days * SECS_PER_DAY;
  out.hour = <u32>(sod / 3600);
  out.minute = <u32>(sod / 60 % 60);
  out.second = <u32>(sod % 60);
  // 1970-01-01 was a Thursday (weekday 5 when Sunday is 1).
  out.weekday = <u32>((days + 4) - floorDiv(days + 4, 7) * 7) + 1;
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  out.day = <u32>(doy - (153 * mp + 2) / 5 + 1);
  out.month = <u32>(mp < 10 ? mp + 3 : mp - 9);
  out.year = <u32>(yoe + era * 400 + (out.month <= 2 ? 1 : 0));
}

/** Seconds since 1970-01-01T00:00:00 of `dt` (weekday ignored). */
export function secsFromCivil(dt: DateTime): i64 {
  return daysFromCivil(<i64>dt.year, dt.month, dt.day) * SECS_PER_DAY
    + <i64>dt.hour * 3600 + <i64>dt.minute * 60 + <i64>dt.second;
}
