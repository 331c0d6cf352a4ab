// Symbol naming (docs/native-abi.md "Functions, imports, exports"): an import of module M field F
// is the symbol M_F; bytes of M or F outside [A-Za-z0-9_] are written ?XX (uppercase hex of the
// UTF-8 byte), e.g. fuzzing-support.log-i32 -> fuzzing?2Dsupport_log?2Di32. Exports use the same
// escaping of their name (plus a leading digit, see exportSymbol). In NASM source every such symbol is written with a `$` prefix so that
// names like `add` or `rax` are read as identifiers, not as mnemonics or registers.

export function escapeName(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_]/.test(c) ? c : "?" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * An export's symbol: its escaped name, with a leading digit also escaped (NASM identifiers
 * cannot start with a digit, even after `$`), e.g. "8u_good1" -> ?38u_good1.
 */
export function exportSymbol(name: string): string {
  const e = escapeName(name);
  return /^[0-9]/.test(e) ? "?" + e.charCodeAt(0).toString(16).toUpperCase() + e.slice(1) : e;
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
