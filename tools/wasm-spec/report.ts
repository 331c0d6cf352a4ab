// Tallies and prints spec-run outcomes: one line per script, its failures (file:line, command,
// expected/actual), skip reasons grouped with counts, and the final `spec: …` line.

import { type Outcome } from "./runner.ts";

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** One line, at most `max` characters: engine messages (nasm, stderr) span many lines. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, " | ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function tally(outcomes: readonly Outcome[]): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const o of outcomes) {
    if (o.status === "pass") t.passed++;
    else if (o.status === "fail") t.failed++;
    else t.skipped++;
  }
  return t;
}

export function add(a: Tally, b: Tally): Tally {
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped };
}

export function countsText(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed` + (t.skipped ? `, ${t.skipped} skipped` : "");
}

/** The per-script block: a count line, then up to `maxFailures` failure lines (all go to the log). */
export function scriptBlock(name: string, outcomes: readonly Outcome[], maxFailures: number): string[] {
  const lines = [`${name}: ${countsText(tally(outcomes))}`];
  const failures = outcomes.filter((o) => o.status === "fail");
  for (const f of failures.slice(0, maxFailures)) lines.push(`  FAIL ${name}:${f.line}: ${oneLine(f.command, 200)}: ${oneLine(f.detail, 400)}`);
  if (failures.length > maxFailures) lines.push(`  … ${failures.length - maxFailures} more failures in ${name} (see the full log)`);
  return lines;
}

/**
 * Groups skips by reason. Reasons that embed an import name or a line number are generalized
 * first, so the summary stays short while the log keeps every skipped command.
 */
export function skipSummary(outcomes: readonly { name: string; outcome: Outcome }[]): string[] {
  const byReason = new Map<string, { count: number; files: Set<string> }>();
  for (const { name, outcome } of outcomes) {
    if (outcome.status !== "skip") continue;
    const reason = outcome.detail
      .replace(/^its module \(line \d+\) was skipped: /, "its module was skipped: ")
      .replace(/imports "[^"]*" "[^"]*" from/, "imports from")
      .replace(/the module at line \d+/, "a module");
    const e = byReason.get(reason) ?? { count: 0, files: new Set<string>() };
    e.count++;
    e.files.add(name);
    byReason.set(reason, e);
  }
  return [...byReason.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([reason, e]) => `  skipped ${e.count}: ${reason} [${[...e.files].join(", ")}]`);
}

export function fullLogLines(name: string, outcomes: readonly Outcome[]): string[] {
  return outcomes
    .filter((o) => o.status !== "pass")
    .map((o) => `${o.status.toUpperCase()} ${name}:${o.line}: ${oneLine(o.command, 1000)}: ${oneLine(o.detail, 4000)}`);
}
