// Installs the emulation handlers of this directory in the exit dispatch table (src/vmm/dispatch.ts).
// The lifecycle handlers (CPUID, HLT, VMCALL, …) are the VMX core's (src/vmm/core-exits.ts).
// Also takes the host CPUID snapshot the handlers' CPUID view needs; call on the boot CPU,
// before any VM runs.

import { ExitReason } from "../../vmx/exit-reasons";
import { ExitTable } from "../dispatch";
import { onIoInstruction } from "./io";
import { onRdmsr, onWrmsr } from "./msr";
import { onCrAccess } from "./cr";
import { onEptViolation, onEptMisconfig } from "./ept";
import { onXsetbv, onCacheFlush, onEventWindow } from "./misc";
import { exitsCpuidInit } from "./cpuid-view";

export function registerExitHandlers(t: ExitTable): void {
  exitsCpuidInit();
  t.set(ExitReason.IO_INSTRUCTION, onIoInstruction);
  t.set(ExitReason.RDMSR, onRdmsr);
  t.set(ExitReason.WRMSR, onWrmsr);
  t.set(ExitReason.CR_ACCESS, onCrAccess);
  t.set(ExitReason.EPT_VIOLATION, onEptViolation);
  t.set(ExitReason.EPT_MISCONFIG, onEptMisconfig);
  t.set(ExitReason.XSETBV, onXsetbv);
  t.set(ExitReason.INVD, onCacheFlush);
  t.set(ExitReason.WBINVD, onCacheFlush);
  t.set(ExitReason.INTERRUPT_WINDOW, onEventWindow);
  t.set(ExitReason.NMI_WINDOW, onEventWindow);
}
