// Symbol naming (docs/native-abi.md "Functions, imports, exports"): an import of module M field F
// is the symbol M_F; bytes of M or F outside [A-Za-z0-9_] are written ?XX (uppercase hex of the
// UTF-8 byte), e.g. fuzzing-support.log-i32 -> fuzzing?2Dsupport_log?2Di32. Exports use the same
// escaping of their name. In NASM source every such symbol is written with a `$` prefix so that
// names like `add` or `rax` are read as identifiers, not as mnemonics or registers.

export function escapeName(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_]/.test(c) ? c : "?" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function importSymbol(module: string, field: string): string {
  return `${escapeName(module)}_${escapeName(field)}`;
}

/** NASM source spelling of an external (import/export) symbol. */
export function asmSym(name: string): string {
  return "$" + name;
}

/** Reserved prefix of the symbols the emitted module and runtimes define. */
export const RESERVED_PREFIX = "__ts2n_";
