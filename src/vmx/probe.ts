// Reads the VT-x capability values from this CPU into a VmxCapsSnapshot, for caps.ts to judge.
// Every MSR goes through hw_rdmsr_safe: an MSR is only read when the architecture says it exists,
// and even then a #GP (a buggy hypervisor below us, an emulator gap) is recorded as "absent"
// instead of faulting. Existence rules: SDM Vol. 3D Appendix A.1, A.3.1–A.3.3, A.10.

import { hw_rdmsr_safe } from "../hw";
import { CPUID_01_ECX_VMX, CPUID_LEAF_FEATURES, CPUID_LEAF_VENDOR, cpuid } from "../x86/cpuid";
import {
  IA32_FEATURE_CONTROL,
  IA32_VMX_BASIC,
  IA32_VMX_EPT_VPID_CAP,
  IA32_VMX_PINBASED_CTLS,
  IA32_VMX_PROCBASED_CTLS,
  IA32_VMX_PROCBASED_CTLS2,
  IA32_VMX_TRUE_PINBASED_CTLS,
  IA32_VMX_TRUE_PROCBASED_CTLS,
} from "../x86/msr";
import {
  VALID_BASIC,
  VALID_EPT_VPID_CAP,
  VALID_FEATURE_CONTROL,
  VALID_PINBASED,
  VALID_PROCBASED,
  VALID_PROCBASED2,
  VMX_SNAPSHOT_SIZE,
  VmxCapsSnapshot,
} from "./caps";

const BASIC_TRUE_CTLS: u64 = 55; // IA32_VMX_BASIC bit 55: TRUE_ controls MSRs exist (A.1)
const PROC_SECONDARY_ALLOWED1: u64 = 32 + 31; // PROCBASED allowed-1 bit 31 (A.3.2)
const PROC2_EPT_ALLOWED1: u64 = 32 + 1; // PROCBASED_CTLS2 allowed-1 bit 1: enable EPT (A.3.3)
const PROC2_VPID_ALLOWED1: u64 = 32 + 5; // bit 5: enable VPID

/** The snapshot vmm_main judges; static, one per boot CPU probe. */
const SNAPSHOT: usize = memory.data(VMX_SNAPSHOT_SIZE, 8);

/** Reads `msr` into the u64 at `s`+`offset` and sets `validBit` when the read succeeded. */
function readInto(s: VmxCapsSnapshot, msr: u32, offset: usize, validBit: u32): bool {
  if (hw_rdmsr_safe(msr, changetype<usize>(s) + offset) == 0) return false;
  s.valid |= validBit;
  return true;
}

@inline function bit(value: u64, n: u64): bool {
  return ((value >> n) & 1) != 0;
}

/** Probes this CPU and returns the (static) snapshot. */
export function probeVmx(): VmxCapsSnapshot {
  const s = changetype<VmxCapsSnapshot>(SNAPSHOT);
  s.cpuid1Ecx = 0;
  s.valid = 0;
  s.featureControl = 0;
  s.basic = 0;
  s.pinbased = 0;
  s.procbased = 0;
  s.procbased2 = 0;
  s.eptVpidCap = 0;

  if (cpuid(CPUID_LEAF_VENDOR).eax < CPUID_LEAF_FEATURES) return s; // no leaf 1: no VMX flag
  s.cpuid1Ecx = cpuid(CPUID_LEAF_FEATURES).ecx;
  if ((s.cpuid1Ecx & CPUID_01_ECX_VMX) == 0) return s;

  readInto(s, IA32_FEATURE_CONTROL, offsetof<VmxCapsSnapshot>("featureControl"), VALID_FEATURE_CONTROL);
  if (!readInto(s, IA32_VMX_BASIC, offsetof<VmxCapsSnapshot>("basic"), VALID_BASIC)) return s;

  const useTrue = bit(s.basic, BASIC_TRUE_CTLS);
  readInto(
    s,
    useTrue ? IA32_VMX_TRUE_PINBASED_CTLS : IA32_VMX_PINBASED_CTLS,
    offsetof<VmxCapsSnapshot>("pinbased"),
    VALID_PINBASED,
  );
  if (
    !readInto(
      s,
      useTrue ? IA32_VMX_TRUE_PROCBASED_CTLS : IA32_VMX_PROCBASED_CTLS,
      offsetof<VmxCapsSnapshot>("procbased"),
      VALID_PROCBASED,
    )
  ) {
    return s;
  }
  if (!bit(s.procbased, PROC_SECONDARY_ALLOWED1)) return s;
  if (!readInto(s, IA32_VMX_PROCBASED_CTLS2, offsetof<VmxCapsSnapshot>("procbased2"), VALID_PROCBASED2)) {
    return s;
  }
  if (bit(s.procbased2, PROC2_EPT_ALLOWED1) || bit(s.procbased2, PROC2_VPID_ALLOWED1)) {
    readInto(s, IA32_VMX_EPT_VPID_CAP, offsetof<VmxCapsSnapshot>("eptVpidCap"), VALID_EPT_VPID_CAP);
  }
  return s;
}
