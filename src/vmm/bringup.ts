// VMX bring-up on the boot CPU with a console line for the operator: either
//   VT-x: VMXON on CPU 0 (VMCS revision 0x…, preemption timer 1/2^N of the TSC)
// or a refusal that names what is missing, e.g.
//   VT-x bring-up: refused: secondary processor-based controls lack 0x00000080 (unrestricted guest …)

import { hw_cpu_index } from "../hw";
import { FrameAllocator, allocFrame } from "./mem/frames";
import { VmxOnStatus, vmxCpuOn, vmxControls, vmxCpu, vmxCaps } from "../vmx/vmx-cpu";
import { ControlGroup } from "../vmx/vmcs/control-set";
import { basicRevisionId } from "../vmx/vmcs/basic";
import { print, printDec, printHex, println } from "./console/print";

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
    println(" (src/vmx/vmcs/control-set.ts lists what each is for)");
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
