// The native executable's `--serve` line protocol (fixed contract with the back end; see
// tools/ts2native/README.md): lines of text, numbers as lowercase hex without 0x, values as raw
// bit patterns (i32/f32 8 digits, i64/f64 16 digits).
//
//   → C <exportIndex> <arg>…     call a function export      ← [P …]* then R <result>… | T <code>
//   → G <exportIndex>            read a global export        ← R <value>
//   → Q                          quit
//   ← I ok | I T <code>          first line: instantiated, or instantiation trapped
//   ← P [<type> <hex>]…          a print made by an import during the call

import { type NumType, type WasmValue, fromHex, isNumType, toHex } from "./values.ts";

export function formatCall(exportIndex: number, args: readonly WasmValue[]): string {
  return ["C", exportIndex.toString(16), ...args.map(toHex)].join(" ");
}

export function formatGet(exportIndex: number): string {
  return `G ${exportIndex.toString(16)}`;
}

export type ResponseLine =
  | { readonly kind: "ready" }
  | { readonly kind: "init-trap"; readonly code: number }
  | { readonly kind: "print"; readonly values: readonly WasmValue[] }
  | { readonly kind: "return"; readonly values: readonly WasmValue[] }
  | { readonly kind: "trap"; readonly code: number };

function parseCode(field: string | undefined, line: string): number {
  if (field === undefined || !/^[0-9a-f]+$/.test(field)) throw new Error(`bad trap code in '${line}'`);
  return parseInt(field, 16);
}

/**
 * Parses one line from the executable. `resultTypes` types an `R` line (the protocol sends bits
 * only); its field count must match exactly. Throws on anything outside the protocol.
 */
export function parseResponse(line: string, resultTypes: readonly NumType[]): ResponseLine {
  const f = line.split(" ");
  switch (f[0]) {
    case "I":
      if (f.length === 2 && f[1] === "ok") return { kind: "ready" };
      if (f.length === 3 && f[1] === "T") return { kind: "init-trap", code: parseCode(f[2], line) };
      break;
    case "T":
      if (f.length === 2) return { kind: "trap", code: parseCode(f[1], line) };
      break;
    case "R": {
      const fields = f.slice(1);
      if (line === "R") fields.length = 0;
      if (fields.length !== resultTypes.length) {
        throw new Error(`'${line}': expected ${resultTypes.length} result(s) (${resultTypes.join(" ") || "none"})`);
      }
      return { kind: "return", values: fields.map((h, i) => fromHex(resultTypes[i]!, h)) };
    }
    case "P": {
      const fields = line === "P" ? [] : f.slice(1);
      if (fields.length % 2 !== 0) break;
      const values: WasmValue[] = [];
      for (let i = 0; i < fields.length; i += 2) {
        const t = fields[i]!;
        if (!isNumType(t)) throw new Error(`'${line}': unknown print type '${t}'`);
        values.push(fromHex(t, fields[i + 1]!));
      }
      return { kind: "print", values };
    }
  }
  throw new Error(`not a protocol line: '${line}'`);
}
