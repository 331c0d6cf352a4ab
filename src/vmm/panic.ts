// The core's `abort`: what a failed assert / explicit abort does on bare metal.
//
// asc routes every abort (assert(), unreachable code paths in the standard library, explicit
// abort()) to this function because the build passes `--use abort=src/vmm/panic/panic`
// (mk/core.mk). It prints `PANIC: <message> at <file>:<line>`, waits for the UART to send it,
// and stops the CPU. The strings asc passes are static literals, so printing them allocates
// nothing.

import { hw_halt } from "../hw";
import { print, printDec, println } from "./console/print";
import { uartDrain } from "./console/uart16550";

export function panic(message: string | null, fileName: string | null, line: u32, column: u32): void {
  print("PANIC: ");
  if (message !== null) print(message);
  else print("(no message)");
  print(" at ");
  if (fileName !== null) print(fileName);
  else print("(unknown file)");
  print(":");
  printDec(line);
  println("");
  uartDrain();
  hw_halt();
  unreachable();
}
