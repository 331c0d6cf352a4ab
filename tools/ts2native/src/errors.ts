// Errors of the back end. Every error names where in the input it happened (the section, and for
// code the function) and the byte offset, so that a failing module can be located with a hex dump.

export class CompileError extends Error {
  constructor(
    readonly where: string,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${where}, offset 0x${offset.toString(16)}: ${detail}`);
    this.name = "CompileError";
  }
}

/** An error found after decoding (linking, runtime selection): there is no byte offset. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
