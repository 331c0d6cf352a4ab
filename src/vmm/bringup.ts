// VMX bring-up on the boot CPU with a console line for the operator: either
//   VT-x: VMXON on CPU 0 (VMCS revision 0x…, preemption timer 1/2^N of the TSC)
// or a refusal that names what is missing, e.g.
//   VT-x bring-up: refused: secondary processor-based controls lack 0x00000080 (unrestricted guest …)

import { hw_cpu_index } from "../hw";
import { FrameAllocator, allocFrame } from "./mem/frames";
import { VmxOnStatus, vmxCpuOn, vmxControls, vmxCpu, vmxCaps } from "../vmx/vmx-cpu";
import { ControlGroup } from "../vmx/vmcs/control-set";
import { basicRevisionId } from "../vmx/vmcs/basic";
import {
  PIN_EXTERNAL_INTERRUPT_EXITING, PIN_NMI_EXITING, PIN_PREEMPTION_TIMER,
  PROC_HLT_EXITING, PROC_USE_IO_BITMAPS, PROC_USE_MSR_BITMAPS, PROC_ACTIVATE_SECONDARY_CONTROLS,
  PROC_INTERRUPT_WINDOW_EXITING, PROC2_ENABLE_EPT, PROC2_UNRESTRICTED_GUEST,
  EXIT_HOST_ADDRESS_SPACE_SIZE, EXIT_ACK_INTERRUPT_ON_EXIT, EXIT_SAVE_EFER, EXIT_LOAD_EFER,
  EXIT_SAVE_PAT, EXIT_LOAD_PAT, ENTRY_LOAD_EFER, ENTRY_LOAD_PAT, ENTRY_IA32E_MODE_GUEST,
} from "../vmx/vmcs/controls";
import { print, printDec, printHex, println } from "./console/print";

/** The name of a control this hypervisor requires (control-set.ts *_REQUIRED), for the refusal. */
function controlName(g: u32, bit: u32): string {
  if (g == ControlGroup.PIN) {
    if (bit == PIN_EXTERNAL_INTERRUPT_EXITING) return "external-interrupt exiting";
    if (bit == PIN_NMI_EXITING) return "NMI exiting";
    if (bit == PIN_PREEMPTION_TIMER) return "VMX-preemption timer";
  } else if (g == ControlGroup.PROC) {
    if (bit == PROC_HLT_EXITING) return "HLT exiting";
    if (bit == PROC_USE_IO_BITMAPS) return "use I/O bitmaps";
    if (bit == PROC_USE_MSR_BITMAPS) return "use MSR bitmaps";
    if (bit == PROC_ACTIVATE_SECONDARY_CONTROLS) return "activate secondary controls";
    if (bit == PROC_INTERRUPT_WINDOW_EXITING) return "interrupt-window exiting";
  } else if (g == ControlGroup.PROC2) {
    if (bit == PROC2_ENABLE_EPT) return "enable EPT";
    if (bit == PROC2_UNRESTRICTED_GUEST) return "unrestricted guest";
  } else if (g == ControlGroup.EXIT) {
    if (bit == EXIT_HOST_ADDRESS_SPACE_SIZE) return "host address-space size";
    if (bit == EXIT_ACK_INTERRUPT_ON_EXIT) return "acknowledge interrupt on exit";
    if (bit == EXIT_SAVE_EFER) return "save IA32_EFER";
    if (bit == EXIT_LOAD_EFER) return "load IA32_EFER";
    if (bit == EXIT_SAVE_PAT) return "save IA32_PAT";
    if (bit == EXIT_LOAD_PAT) return "load IA32_PAT";
  } else if (g == ControlGroup.ENTRY) {
    if (bit == ENTRY_LOAD_EFER) return "load IA32_EFER";
    if (bit == ENTRY_LOAD_PAT) return "load IA32_PAT";
    if (bit == ENTRY_IA32E_MODE_GUEST) return "IA-32e mode guest";
  }
  return "?";
}

/** ", "-separated names of the bits of `missing` in group `g`. */
function printControlNames(g: u32, missing: u32): void {
  let first = true;
  for (let b: u32 = 0; b < 32; b++) {
    const bit: u32 = <u32>1 << b;
    if ((missing & bit) == 0) continue;
    if (!first) print(", ");
    print(controlName(g, bit));
    first = false;
  }
}

function groupName(g: u32): string {
  switch (g) {
    case ControlGroup.PIN: return "pin-based controls";
    case ControlGroup.PROC: return "primary processor-based controls";
    case ControlGroup.PROC2: return "secondary processor-based controls";
    case ControlGroup.EXIT: return "VM-exit controls";
    case ControlGroup.ENTRY: return "VM-entry controls";
  }
  return "controls";
}

/** Enters VMX operation on this CPU. Prints one line; false when the CPU cannot run guests. */
export function vmxBringUp(a: FrameAllocator): bool {
  const cpu = hw_cpu_index();
  const vmxon = allocFrame(a, <u64>1 << 32);
  if (vmxon == 0) { println("VT-x bring-up: refused: no memory for the VMXON region"); return false; }
  memory.fill(<usize>vmxon, 0, 4096);
  const st = vmxCpuOn(cpu, vmxon);
  if (st == VmxOnStatus.OK) {
    print("VT-x: VMXON on CPU ");
    printDec(cpu);
    print(" (VMCS revision ");
    printHex(basicRevisionId(vmxCaps(cpu).basic));
    print(", preemption timer rate TSC/2^");
    printDec(vmxCpu(cpu).timerRate);
    println(")");
    return true;
  }
  print("VT-x bring-up: refused: ");
  if (st == VmxOnStatus.CAPS_UNREADABLE) println("VMX capability MSRs unreadable");
  else if (st == VmxOnStatus.CONTROLS_MISSING) {
    const c = vmxControls(cpu);
    print(groupName(c.failedGroup));
    print(" lack required bits ");
    printHex(c.missing, 8);
    print(" (");
    printControlNames(c.failedGroup, c.missing);
    println(")");
  } else if (st == VmxOnStatus.EPT_MISSING) {
    print("IA32_VMX_EPT_VPID_CAP lacks ");
    printHex(vmxCpu(cpu).eptMissing);
    println(" (4-level walk, WB paging structures, INVEPT)");
  } else if (st == VmxOnStatus.LOCKED_OFF) println("IA32_FEATURE_CONTROL locked with VMX disabled");
  else if (st == VmxOnStatus.CR_FIXED) println("CR0 cannot meet IA32_VMX_CR0_FIXED0/1");
  else {
    print("VMXON failed with status ");
    printDec(vmxCpu(cpu).error);
    println(vmxCpu(cpu).error == 1 ? " (VMfailInvalid: bad VMXON region)" : " (VMfailValid)");
  }
  return false;
}
