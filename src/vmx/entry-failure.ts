// Readable reasons for the two ways a VM entry fails (pure):
//  - VMLAUNCH/VMRESUME itself fails (VMfailValid): the VM-instruction error field says why
//    (SDM Vol 3C §30.4 "VM Instruction Error Numbers", Table 30-1); VMfailInvalid means there was
//    no valid current VMCS at all.
//  - The checks on the guest state or the MSR-load area fail after the instruction "succeeded"
//    (§26.8, §27.8): a VM exit with bit 31 of EXIT_REASON set and basic reason 33 (invalid guest
//    state), 34 (MSR loading; the qualification is the 1-based index of the failing entry) or 41
//    (machine-check event). For reason 33 the exit qualification (§27.8; the "Exit Qualification for
//    VM-Entry Failure" entry of the exit-qualification tables in §28.2.1) distinguishes PDPTE loading (2), NMI injection (3), an invalid VMCS
//    link pointer (4); 0 = no further information.

/** Text for VM-instruction error `n` (Table 30-1). */
export function vmInstructionErrorText(n: u32): string {
  switch (n) {
    case 1: return "VMCALL executed in VMX root operation";
    case 2: return "VMCLEAR with invalid physical address";
    case 3: return "VMCLEAR with VMXON pointer";
    case 4: return "VMLAUNCH with non-clear VMCS";
    case 5: return "VMRESUME with non-launched VMCS";
    case 6: return "VMRESUME after VMXOFF";
    case 7: return "VM entry with invalid control field(s)";
    case 8: return "VM entry with invalid host-state field(s)";
    case 9: return "VMPTRLD with invalid physical address";
    case 10: return "VMPTRLD with VMXON pointer";
    case 11: return "VMPTRLD with incorrect VMCS revision identifier";
    case 12: return "VMREAD/VMWRITE from/to unsupported VMCS component";
    case 13: return "VMWRITE to read-only VMCS component";
    case 15: return "VMXON executed in VMX root operation";
    case 16: return "VM entry with invalid executive-VMCS pointer";
    case 17: return "VM entry with non-launched executive VMCS";
    case 18: return "VM entry with executive-VMCS pointer not VMXON pointer";
    case 19: return "VMCALL with non-clear VMCS";
    case 20: return "VMCALL with invalid VM-exit control fields";
    case 22: return "VMCALL with incorrect MSEG revision identifier";
    case 23: return "VMXOFF under dual-monitor treatment of SMIs and SMM";
    case 24: return "VMCALL with invalid SMM-monitor features";
    case 25: return "VM entry with invalid VM-execution control fields in executive VMCS";
    case 26: return "VM entry with events blocked by MOV SS";
    case 28: return "invalid operand to INVEPT/INVVPID";
  }
  return "unknown VM-instruction error";
}

/** Text for hw_vmrun's failure status (1 VMfailInvalid, 2 VMfailValid). */
export function vmFailText(status: u32): string {
  if (status == 1) return "VMfailInvalid (no valid current VMCS)";
  if (status == 2) return "VMfailValid";
  return "no failure";
}

/** Text for a VM-entry failure exit (EXIT_REASON bit 31) with basic reason `basic`. */
export function entryFailureText(basic: u32): string {
  if (basic == 33) return "VM-entry failure: invalid guest state";
  if (basic == 34) return "VM-entry failure: MSR loading";
  if (basic == 41) return "VM-entry failure: machine-check event";
  return "VM-entry failure with an unexpected basic reason";
}

/** Detail for reason 33's exit qualification. */
export function guestStateQualText(qual: u64): string {
  if (qual == 2) return "PDPTE loading failed";
  if (qual == 3) return "NMI injection with NMIs blocked";
  if (qual == 4) return "invalid VMCS link pointer";
  return "no further information";
}
