// Basic VM-exit reasons (SDM Vol 3D Appendix C, "VMX Basic Exit Reasons"), and the layout of the
// EXIT_REASON field (SDM Vol 3C §24.9.1, Table 24-15 "Format of Exit Reason"):
//
//   31  30 29  28  27  26    16 15                    0
//  +---+--+---+---+---+--------+-----------------------+
//  |EF |0 |RMX|PND|EIL|   0    |  basic exit reason    |
//  +---+--+---+---+---+--------+-----------------------+
//   EF (31): VM-entry failure (the "exit" happened during VM entry, §26.8/§27.8: reasons 33, 34, 41)
//   RMX (29): VM exit from VMX root operation (SMM dual-monitor only)
//   PND (28): pending MTF VM exit;  EIL (27): enclave interruption
//
// The dispatch table (src/vmm/dispatch.ts) is indexed by the basic reason (bits 15:0), which is
// checked against EXIT_REASON_COUNT before use: the value comes from the CPU, but a table index
// is never trusted blindly.

export const enum ExitReason {
  EXCEPTION_NMI = 0,
  EXTERNAL_INTERRUPT = 1,
  TRIPLE_FAULT = 2,
  INIT_SIGNAL = 3,
  SIPI = 4,
  IO_SMI = 5,
  OTHER_SMI = 6,
  INTERRUPT_WINDOW = 7,
  NMI_WINDOW = 8,
  TASK_SWITCH = 9,
  CPUID = 10,
  GETSEC = 11,
  HLT = 12,
  INVD = 13,
  INVLPG = 14,
  RDPMC = 15,
  RDTSC = 16,
  RSM = 17,
  VMCALL = 18,
  VMCLEAR = 19,
  VMLAUNCH = 20,
  VMPTRLD = 21,
  VMPTRST = 22,
  VMREAD = 23,
  VMRESUME = 24,
  VMWRITE = 25,
  VMXOFF = 26,
  VMXON = 27,
  CR_ACCESS = 28,
  DR_ACCESS = 29,
  IO_INSTRUCTION = 30,
  RDMSR = 31,
  WRMSR = 32,
  ENTRY_FAIL_GUEST_STATE = 33,
  ENTRY_FAIL_MSR_LOADING = 34,
  MWAIT = 36,
  MONITOR_TRAP_FLAG = 37,
  MONITOR = 39,
  PAUSE = 40,
  ENTRY_FAIL_MACHINE_CHECK = 41,
  TPR_BELOW_THRESHOLD = 43,
  APIC_ACCESS = 44,
  VIRTUALIZED_EOI = 45,
  GDTR_IDTR_ACCESS = 46,
  LDTR_TR_ACCESS = 47,
  EPT_VIOLATION = 48,
  EPT_MISCONFIG = 49,
  INVEPT = 50,
  RDTSCP = 51,
  PREEMPTION_TIMER = 52,
  INVVPID = 53,
  WBINVD = 54,
  XSETBV = 55,
  APIC_WRITE = 56,
  RDRAND = 57,
  INVPCID = 58,
  VMFUNC = 59,
  ENCLS = 60,
  RDSEED = 61,
  PML_FULL = 62,
  XSAVES = 63,
  XRSTORS = 64,
  SPP_EVENT = 66,
  UMWAIT = 67,
  TPAUSE = 68,
  LOADIWKEY = 69,
  BUS_LOCK = 74,
  INSTRUCTION_TIMEOUT = 75,
}

/** Size of every per-reason table (dispatch, counters): reasons 0..EXIT_REASON_COUNT-1. */
export const EXIT_REASON_COUNT: u32 = 80;

/** Bit 31 of EXIT_REASON: the VM entry failed (§26.8, §27.8). */
export const EXIT_REASON_ENTRY_FAILURE: u32 = <u32>1 << 31;

/** The basic exit reason, bits 15:0. */
@inline export function basicExitReason(exitReason: u32): u32 { return exitReason & 0xFFFF; }
/** Whether bit 31 says the VM entry failed. */
@inline export function isEntryFailure(exitReason: u32): bool { return (exitReason & EXIT_REASON_ENTRY_FAILURE) != 0; }

/** A short name for console lines and the per-VM exit summary (`[NAME] exits: total N, cpuid N`). */
export function exitReasonName(basic: u32): string {
  switch (basic) {
    case ExitReason.EXCEPTION_NMI: return "exception";
    case ExitReason.EXTERNAL_INTERRUPT: return "extint";
    case ExitReason.TRIPLE_FAULT: return "triple-fault";
    case ExitReason.INIT_SIGNAL: return "init";
    case ExitReason.SIPI: return "sipi";
    case ExitReason.IO_SMI: return "io-smi";
    case ExitReason.OTHER_SMI: return "smi";
    case ExitReason.INTERRUPT_WINDOW: return "irq-window";
    case ExitReason.NMI_WINDOW: return "nmi-window";
    case ExitReason.TASK_SWITCH: return "task-switch";
    case ExitReason.CPUID: return "cpuid";
    case ExitReason.GETSEC: return "getsec";
    case ExitReason.HLT: return "hlt";
    case ExitReason.INVD: return "invd";
    case ExitReason.INVLPG: return "invlpg";
    case ExitReason.RDPMC: return "rdpmc";
    case ExitReason.RDTSC: return "rdtsc";
    case ExitReason.RSM: return "rsm";
    case ExitReason.VMCALL: return "vmcall";
    case ExitReason.VMCLEAR: return "vmclear";
    case ExitReason.VMLAUNCH: return "vmlaunch";
    case ExitReason.VMPTRLD: return "vmptrld";
    case ExitReason.VMPTRST: return "vmptrst";
    case ExitReason.VMREAD: return "vmread";
    case ExitReason.VMRESUME: return "vmresume";
    case ExitReason.VMWRITE: return "vmwrite";
    case ExitReason.VMXOFF: return "vmxoff";
    case ExitReason.VMXON: return "vmxon";
    case ExitReason.CR_ACCESS: return "cr";
    case ExitReason.DR_ACCESS: return "dr";
    case ExitReason.IO_INSTRUCTION: return "io";
    case ExitReason.RDMSR: return "rdmsr";
    case ExitReason.WRMSR: return "wrmsr";
    case ExitReason.ENTRY_FAIL_GUEST_STATE: return "entry-fail-guest-state";
    case ExitReason.ENTRY_FAIL_MSR_LOADING: return "entry-fail-msr-load";
    case ExitReason.MWAIT: return "mwait";
    case ExitReason.MONITOR_TRAP_FLAG: return "mtf";
    case ExitReason.MONITOR: return "monitor";
    case ExitReason.PAUSE: return "pause";
    case ExitReason.ENTRY_FAIL_MACHINE_CHECK: return "entry-fail-machine-check";
    case ExitReason.TPR_BELOW_THRESHOLD: return "tpr-below-threshold";
    case ExitReason.APIC_ACCESS: return "apic-access";
    case ExitReason.VIRTUALIZED_EOI: return "virtual-eoi";
    case ExitReason.GDTR_IDTR_ACCESS: return "gdtr-idtr";
    case ExitReason.LDTR_TR_ACCESS: return "ldtr-tr";
    case ExitReason.EPT_VIOLATION: return "ept-violation";
    case ExitReason.EPT_MISCONFIG: return "ept-misconfig";
    case ExitReason.INVEPT: return "invept";
    case ExitReason.RDTSCP: return "rdtscp";
    case ExitReason.PREEMPTION_TIMER: return "preempt";
    case ExitReason.INVVPID: return "invvpid";
    case ExitReason.WBINVD: return "wbinvd";
    case ExitReason.XSETBV: return "xsetbv";
    case ExitReason.APIC_WRITE: return "apic-write";
    case ExitReason.RDRAND: return "rdrand";
    case ExitReason.INVPCID: return "invpcid";
    case ExitReason.VMFUNC: return "vmfunc";
    case ExitReason.ENCLS: return "encls";
    case ExitReason.RDSEED: return "rdseed";
    case ExitReason.PML_FULL: return "pml-full";
    case ExitReason.XSAVES: return "xsaves";
    case ExitReason.XRSTORS: return "xrstors";
    case ExitReason.SPP_EVENT: return "spp";
    case ExitReason.UMWAIT: return "umwait";
    case ExitReason.TPAUSE: return "tpause";
    case ExitReason.LOADIWKEY: return "loadiwkey";
    case ExitReason.BUS_LOCK: return "bus-lock";
    case ExitReason.INSTRUCTION_TIMEOUT: return "insn-timeout";
  }
  return "reserved";
}
