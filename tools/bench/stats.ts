// Statistics and formatting for the benchmark figures (unit-tested in tests/bench/stats.test.ts).

/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty sample");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Geometric mean of positive values. */
export function geomean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("geometric mean of an empty sample");
  let logSum = 0;
  for (const x of xs) {
    if (!(x > 0) || !Number.isFinite(x)) throw new Error(`geometric mean of a non-positive or non-finite value: ${x}`);
    logSum += Math.log(x);
  }
  return Math.exp(logSum / xs.length);
}

/**
 * Median absolute deviation relative to the median (a spread that single outliers do not move):
 * median(|x - median|) / median. 0 for a constant sample.
 */
export function relativeMad(xs: readonly number[]): number {
  const m = median(xs);
  if (m === 0) return 0;
  return median(xs.map((x) => Math.abs(x - m))) / Math.abs(m);
}

/**
 * Time of one call without the protocol's round trip: median round trip of the call minus the
 * median round trip of the null call measured in the same rounds. Throws when the difference is
 * not positive (the kernel is too short for the round-trip noise: raise its size).
 */
export function netTime(runs: readonly number[], nulls: readonly number[]): number {
  const net = median(runs) - median(nulls);
  if (!(net > 0)) throw new Error(`net time ${net} is not positive: the call is lost in the round-trip noise`);
  return net;
}

/** Engine order for round r: rotated so that each engine runs first, second and third equally often. */
export function roundOrder<T>(engines: readonly T[], round: number): T[] {
  const k = engines.length === 0 ? 0 : round % engines.length;
  return [...engines.slice(k), ...engines.slice(0, k)];
}

/** A ratio as the `bench:` lines print it: 3 significant digits, at least 3 decimals. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) throw new Error(`ratio is not finite: ${r}`);
  return r >= 100 ? r.toFixed(1) : r.toFixed(3);
}

/** One figure line: `bench: NAME VALUE UNIT` (DESIGN.md §5). */
export function benchLine(name: string, value: string | number | bigint, unit: string): string {
  if (/\s/.test(name) || /\s/.test(unit)) throw new Error(`bench name and unit must not contain spaces: "${name}" "${unit}"`);
  return `bench: ${name} ${value} ${unit}`;
}

/** The instruction count from valgrind's stderr (callgrind: "Collected : N"). */
export function parseCallgrindIr(stderr: string): bigint {
  const m = /==\d+== Collected : (\d+)/.exec(stderr);
  if (m === null) throw new Error(`no "Collected :" line in valgrind's output:\n${stderr.slice(-2000)}`);
  return BigInt(m[1]!);
}
