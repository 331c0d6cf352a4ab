// The exit dispatch table: one handler per basic exit reason (SDM Vol 3D Appendix C), called by
// the run loop (src/vmm/run.ts) after every VM exit. Handlers are plain functions (no closures):
// AssemblyScript stores a function reference as the address of a static Function object, so a
// slot holds that address and the call is one call_indirect. An empty slot (0) means "no handler":
// the run loop stops the VM with `no handler for exit reason N` and a dump.
//
// Who fills it: src/vmm/core-exits.ts registers the lifecycle handlers (CPUID, HLT, VMCALL, triple
// fault, preemption timer, external interrupt, INIT/SIPI); `registerExitHandlers(table)` of
// src/vmm/exits/register.ts adds the device/instruction emulation (I/O, MSR, EPT violation, CR,
// XSETBV, interrupt window, INVD/WBINVD).

import { VCpu } from "../vmx/vcpu";
import { EXIT_REASON_COUNT } from "../vmx/exit-reasons";
import { ExitAction } from "./exits/action";

export type ExitHandler = (vcpu: VCpu) => ExitAction;

const SLOT_BYTES: usize = sizeof<usize>();
const TABLE: usize = memory.data(<i32>(EXIT_REASON_COUNT * 4), 8);

/**
 * EXIT_REASON_COUNT slots of `usize` (the handler's Function object address, or 0).
 *   byte 4·r: handler of basic exit reason r
 * The only instance is the static table (`exitTable()`); the class exists for its methods.
 */
@unmanaged export class ExitTable {
  slot0: usize;

  /** Installs `h` for basic exit reason `reason` (< EXIT_REASON_COUNT; else a VMM bug: panic). */
  set(reason: u32, h: ExitHandler): void {
    assert(reason < EXIT_REASON_COUNT, "exit handler for a reason beyond the table");
    store<usize>(changetype<usize>(this) + <usize>reason * SLOT_BYTES, changetype<usize>(h));
  }
  /** Whether a handler is installed for `reason`. */
  has(reason: u32): bool { return this.slotOf(reason) != 0; }
  /** The slot's content; 0 for an empty slot or a reason beyond the table (checked here). */
  @inline slotOf(reason: u32): usize {
    if (reason >= EXIT_REASON_COUNT) return 0;
    return load<usize>(changetype<usize>(this) + <usize>reason * SLOT_BYTES);
  }
}

export function exitTable(): ExitTable { return changetype<ExitTable>(TABLE); }

/** Calls the handler in `slot` (non-zero, from slotOf). */
@inline export function callExitHandler(slot: usize, vcpu: VCpu): ExitAction {
  return changetype<ExitHandler>(slot)(vcpu);
}
