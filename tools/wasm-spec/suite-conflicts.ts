// Commands of the MVP-era scripts (mvp/, suite commit a8bcbafe6d2f) whose expectation a Wasm 2.0
// engine legitimately contradicts. They are skipped, with the reason, for the engines named —
// never counted as passed. Each entry cites why the later spec reads the module differently.

export interface Conflict {
  /** `mvp/data.wast` */
  readonly file: string;
  readonly lines: readonly number[];
  /** Engines whose feature set causes the conflict. */
  readonly engines: readonly ("v8" | "native")[];
  readonly reason: string;
}

export const SUITE_CONFLICTS: readonly Conflict[] = [
  {
    file: "mvp/data.wast",
    lines: [316, 337],
    engines: ["v8", "native"],
    reason:
      "MVP-era assert_invalid: with bulk memory (Wasm 2.0 §5.5.12, implemented by both engines) the byte 0x01 " +
      "before the offset marks a passive data segment, so this binary is valid",
  },
  {
    file: "mvp/unreached-invalid.wast",
    lines: [539],
    engines: ["v8", "native"],
    reason:
      "MVP-era assert_invalid: Wasm 2.0 validation (§3.3.8, br_table with a polymorphic stack) accepts labels " +
      "of different types after unreachable; the 2.0 suite turned this case into a valid module",
  },
  {
    file: "mvp/imports.wast",
    lines: [361, 365, 369],
    engines: ["v8"],
    reason: "MVP-era assert_invalid: V8 implements reference types (Wasm 2.0), where several tables are valid",
  },
  {
    file: "mvp/table.wast",
    lines: [11, 12],
    engines: ["v8"],
    reason: "MVP-era assert_invalid: V8 implements reference types (Wasm 2.0), where several tables are valid",
  },
  {
    file: "mvp/linking.wast",
    lines: [236, 248, 342, 354],
    engines: ["v8"],
    reason:
      "MVP-era expectation that a failed instantiation writes nothing: Wasm 2.0 (§4.5.4) initializes segments " +
      "in order, so V8 keeps the writes made before the failing segment in the shared table/memory",
  },
];

/** The conflict reason for `file:line` on `engine`, if any. */
export function conflictFor(file: string, line: number, engine: string): string | undefined {
  const c = SUITE_CONFLICTS.find((k) => k.file === file && k.lines.includes(line) && (k.engines as readonly string[]).includes(engine));
  return c?.reason;
}
