// The guest's CPUID: a pure function of the host snapshot (host-cpuid.ts), the VM's configuration
// and the vCPU's CR4, following SDM Vol 2A, CPUID, Table 3-8 leaf by leaf. The rule is a
// whitelist: a feature reaches the guest only when the VMM either virtualizes it or the hardware
// runs it unchanged in VMX non-root operation; everything else reads as 0, so the guest never
// probes an MSR or instruction we do not handle. Leaves not listed here read as all zeros.
//
// Hidden, and why:
//  - VMX, SMX: no nested virtualization (IA32_FEATURE_CONTROL reads as locked with VMX off).
//  - MONITOR/MWAIT (1.ECX[3], leaf 05H): MWAIT would idle the physical CPU; guests use HLT.
//  - DS, DS-CPL, PDCM, leaf 0AH, TM/TM2/EST/ACPI/PBE, leaf 06H (APERF/MPERF, HWP, EPB): no PMU,
//    thermal or power-management MSRs are virtualized. Leaf 06H keeps only ARAT (EAX[2]).
//  - x2APIC, TSC-deadline: the virtual local APIC is xAPIC-only (for now).
//  - PCID / INVPCID: only when the VM enables them (they need the VMCS controls set to match).
//  - LA57, WAITPKG, SGX, PT, MPX, RDT, TSC_ADJUST, the speculation-control MSR bits: no MSR or
//    paging support for them.
//  - MCE/MCA: no machine-check MSR bank is emulated.
// Set: the hypervisor-present bit 1.ECX[31], and leaves 40000000H/40000001H (ours).

import { HostCpuid, hostEntry, hostEax, hostEbx, hostEcx, hostEdx } from "./host-cpuid";
import { CpuidResult } from "../../x86/cpuid";

/** The highest basic leaf the guest sees (topology leaf 1FH); lower when the host's is lower. */
export const CPUID_GUEST_MAX_BASIC: u32 = 0x1F;
/** The highest extended leaf the guest sees (address sizes, 80000008H). */
export const CPUID_GUEST_MAX_EXT: u32 = 0x80000008;
export const CPUID_HV_BASE: u32 = 0x40000000;
export const CPUID_HV_FEATURES: u32 = 0x40000001;
/** "tshv" as CPUID returns text: little-endian bytes 't' 's' 'h' 'v'. EBX,ECX,EDX = "tshvtshvtshv". */
export const CPUID_HV_SIGNATURE: u32 = 0x76687374;
/** 40000001H.EAX: hypercall interface features (docs/guest-protocol.md): bit 0 console_write, bit 1 exit. */
export const CPUID_HV_FEATURE_BITS: u32 = 0x3;

// ---- leaf 01H (Table 3-10 ECX, Table 3-11 EDX) ----
export const CPUID1_ECX_MONITOR: u32 = 1 << 3;
export const CPUID1_ECX_DSCPL: u32 = 1 << 4;
export const CPUID1_ECX_VMX: u32 = 1 << 5;
export const CPUID1_ECX_SMX: u32 = 1 << 6;
export const CPUID1_ECX_EST: u32 = 1 << 7;
export const CPUID1_ECX_TM2: u32 = 1 << 8;
export const CPUID1_ECX_SDBG: u32 = 1 << 11;
export const CPUID1_ECX_XTPR: u32 = 1 << 14;
export const CPUID1_ECX_PDCM: u32 = 1 << 15;
export const CPUID1_ECX_PCID: u32 = 1 << 17;
export const CPUID1_ECX_DCA: u32 = 1 << 18;
export const CPUID1_ECX_X2APIC: u32 = 1 << 21;
export const CPUID1_ECX_TSC_DEADLINE: u32 = 1 << 24;
export const CPUID1_ECX_XSAVE: u32 = 1 << 26;
export const CPUID1_ECX_OSXSAVE: u32 = 1 << 27;
export const CPUID1_ECX_HYPERVISOR: u32 = 1 << 31;
const CPUID1_ECX_HIDDEN: u32 = CPUID1_ECX_MONITOR | CPUID1_ECX_DSCPL | CPUID1_ECX_VMX | CPUID1_ECX_SMX |
  CPUID1_ECX_EST | CPUID1_ECX_TM2 | CPUID1_ECX_SDBG | CPUID1_ECX_XTPR | CPUID1_ECX_PDCM | CPUID1_ECX_PCID |
  CPUID1_ECX_DCA | CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE | CPUID1_ECX_OSXSAVE | CPUID1_ECX_HYPERVISOR;

export const CPUID1_EDX_MCE: u32 = 1 << 7;
export const CPUID1_EDX_MCA: u32 = 1 << 14;
export const CPUID1_EDX_PSN: u32 = 1 << 18;
export const CPUID1_EDX_DS: u32 = 1 << 21;
export const CPUID1_EDX_ACPI: u32 = 1 << 22;
export const CPUID1_EDX_HTT: u32 = 1 << 28;
export const CPUID1_EDX_TM: u32 = 1 << 29;
export const CPUID1_EDX_PBE: u32 = 1 << 31;
const CPUID1_EDX_HIDDEN: u32 = CPUID1_EDX_MCE | CPUID1_EDX_MCA | CPUID1_EDX_PSN | CPUID1_EDX_DS |
  CPUID1_EDX_ACPI | CPUID1_EDX_HTT | CPUID1_EDX_TM | CPUID1_EDX_PBE;

// ---- leaf 07H subleaf 0 (Table 3-8) ----
export const CPUID7_EBX_TSC_ADJUST: u32 = 1 << 1;
export const CPUID7_EBX_SGX: u32 = 1 << 2;
export const CPUID7_EBX_INVPCID: u32 = 1 << 10;
export const CPUID7_EBX_RDT_M: u32 = 1 << 12;
export const CPUID7_EBX_MPX: u32 = 1 << 14;
export const CPUID7_EBX_RDT_A: u32 = 1 << 15;
export const CPUID7_EBX_PT: u32 = 1 << 25;
const CPUID7_EBX_HIDDEN: u32 = CPUID7_EBX_TSC_ADJUST | CPUID7_EBX_SGX | CPUID7_EBX_INVPCID |
  CPUID7_EBX_RDT_M | CPUID7_EBX_MPX | CPUID7_EBX_RDT_A | CPUID7_EBX_PT;
export const CPUID7_ECX_PKU: u32 = 1 << 3;
export const CPUID7_ECX_OSPKE: u32 = 1 << 4;
export const CPUID7_ECX_WAITPKG: u32 = 1 << 5;
export const CPUID7_ECX_LA57: u32 = 1 << 16;
export const CPUID7_ECX_SGX_LC: u32 = 1 << 30;
const CPUID7_ECX_HIDDEN: u32 = CPUID7_ECX_OSPKE | CPUID7_ECX_WAITPKG | CPUID7_ECX_LA57 | CPUID7_ECX_SGX_LC;
/** 07H.EDX kept: AVX512_4VNNIW(2), AVX512_4FMAPS(3), FSRM(4), MD_CLEAR(10), SERIALIZE(14). The
 *  rest (IBRS/STIBP/L1D_FLUSH/ARCH_CAPABILITIES/SSBD, hybrid, AMX, core capabilities) names MSRs
 *  or state we do not virtualize. */
export const CPUID7_EDX_KEPT: u32 = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 10) | (1 << 14);
/** 07H subleaf 1 EAX kept: AVX-VNNI(4), AVX512_BF16(5). */
export const CPUID7_1_EAX_KEPT: u32 = (1 << 4) | (1 << 5);

// ---- leaf 06H: ARAT only ----
export const CPUID6_EAX_ARAT: u32 = 1 << 2;

// ---- extended leaves ----
/** 80000001H.ECX kept: LAHF/SAHF(0), LZCNT(5), PREFETCHW(8). */
export const CPUIDX1_ECX_KEPT: u32 = (1 << 0) | (1 << 5) | (1 << 8);
export const CPUIDX1_EDX_SYSCALL: u32 = 1 << 11;
export const CPUIDX1_EDX_NX: u32 = 1 << 20;
export const CPUIDX1_EDX_PAGE1G: u32 = 1 << 26;
export const CPUIDX1_EDX_RDTSCP: u32 = 1 << 27;
export const CPUIDX1_EDX_LM: u32 = 1 << 29;
/** 80000007H.EDX kept: invariant TSC (8). */
export const CPUIDX7_EDX_INVARIANT_TSC: u32 = 1 << 8;

// ---- XSAVE (leaf 0DH, SDM Vol 1 §13.2, §13.3) ----
/** XCR0 bits the guest may enable: x87(0) SSE(1) AVX(2) AVX-512 opmask/ZMM_Hi256/Hi16_ZMM(5-7)
 *  PKRU(9). Not MPX (3,4: no BNDCFGS), not supervisor state, not AMX (needs XFD). */
export const XCR0_GUEST_MASK: u64 = 0x2E7;

// XSAVEC under Bochs 2.7 (the emulator this project's tests run on): Linux VMs do not see
// CPUID.(EAX=0DH,ECX=1):EAX[1] (src/vmm/exits/cpuid-view.ts clears it) because Bochs 2.7's
// XSAVEC/XSAVES store the compacted format wrongly. The policy's own sizes are right (xsaveLeaf;
// tests/exits/cpuid.test.ts "XSAVE leaf 0DH"); the defect is the emulated CPU's:
//  - SDM Vol 1 §13.4.3: in the compacted format component i >= 2 starts at 576 (legacy region +
//    XSAVE header) plus the sizes of the components j < i with XCOMP_BV[j] = 1 (64-byte aligned
//    where CPUID.(0DH,j):ECX[1] = 1). Bochs' XSAVEC (cpu/xsave.cc) starts its running offset at
//    160, the SSE slot of the legacy region, and adds the SSE component's 256 bytes, so with
//    RFBM = x87|SSE|AVX it writes the AVX state (YMM bits 255:128) at byte 416 instead of 576 —
//    partly over the XSAVE header — and every later component 160 bytes early (XCR0 E7H: opmask
//    672, ZMM_Hi256 736, Hi16_ZMM 1248 instead of 832, 896, 1408). Its XRSTOR reads the compacted
//    format from the SDM offsets, so an XSAVEC/XRSTOR round trip zeroes or scrambles AVX and
//    AVX-512 state. Linux 6.1 saves user state with XSAVEC when XSAVEC is offered and XSAVES is
//    not (arch/x86/kernel/fpu: X86_FEATURE_XCOMPACTED), so a task's YMM/ZMM registers are
//    corrupted at every context switch; glibc's AVX2/EVEX string functions in busybox then fault
//    ("Segmentation fault" in test-linux).
//  - Measured on bare Bochs (no hypervisor; the reference kernel+initramfs booted by
//    tools/guest-linux/bench-bochs.sh, corei7_skylake_x, `clearcpuid=avx512f`) by a static user
//    program: after VPBROADCASTQ ymm1, XSAVEC64 with EDX:EAX = 7 stores ymm1[255:128] at byte 432
//    (416 + 16), XSAVE64 at 592 (576 + 16, correct); a real Skylake host gives 592 for both.
//  - The same program then sets ymm1 in two processes that sched_yield() to each other 400 times:
//    with the kernel saving by XSAVEC (`noxsaves` added; "using 'compacted' format") or by XSAVES
//    (Bochs' XSAVES is the same code) ymm1[255:128] comes back 0 (the child at its first
//    iteration, the parent within ~100); with `clearcpuid=avx512f,xsavec,xsaves` ("using
//    'standard' format", XSAVEOPT) it survives 3 runs of 400 iterations. Under the hypervisor
//    (XCR0 E7H) it fails the same way with XSAVEC offered and passes — ymm1, zmm2[511:256],
//    zmm17, k1 — with XSAVEC hidden.
//  - Why bare Bochs boots do not crash by default: Bochs' CPUID.(0DH,1):EBX is the standard-format
//    size, not the compacted one, so Linux rejects it ("XSAVE consistency problem: size 2432 !=
//    kernel_size 2688", paranoid_xstate_size_valid) and runs without XSAVE (no xsave/avx flags).
//    Hence `clearcpuid=avx512f` above (XCR0 7: both sizes are 832) to make the kernel use it.
// It cannot be ours: XSAVEC and XRSTOR execute in VMX non-root operation without VM exits (only
// XSAVES/XRSTORS can exit, and XSAVES is hidden with "enable XSAVES/XRSTORS" off), the guest's
// save area is guest memory the hypervisor never touches, and with one vCPU on the CPU
// fpuSwitchTo (src/vmm/fpu.ts) does nothing after the first entry. On hardware that follows
// §13.4.3 XSAVEC is safe to offer, so the hiding is conditional on a boot-time check of the host's
// XSAVEC layout (src/vmm/xsavec-layout.ts, boot/vmx.asm hw_xsavec_probe: YMM1's upper half at
// byte 592 or not), which fails on Bochs 2.7 and passes on hardware that follows the SDM.

// ---- VM configuration flags (CpuidConfig.flags) ----
export const CPUID_CFG_PCID: u32 = 1 << 0;
export const CPUID_CFG_INVPCID: u32 = 1 << 1;
export const CPUID_CFG_RDTSCP: u32 = 1 << 2;
export const CPUID_CFG_PAGE1G: u32 = 1 << 3;

const CR4_OSXSAVE: u64 = 1 << 18;
const CR4_PKE: u64 = 1 << 22;

/**
 * What the guest's CPUID depends on besides the host. 16 bytes:
 *   +0 apicId   +4 vcpuIndex   +8 vcpuCount   +12 flags (CPUID_CFG_*)
 */
@unmanaged export class CpuidConfig {
  apicId: u32;
  vcpuIndex: u32;
  vcpuCount: u32;
  flags: u32;
}

/** Bits of APIC id that number the cores of the one virtual package: ceil(log2(vcpuCount)). */
export function coreIdBits(vcpuCount: u32): u32 {
  if (vcpuCount <= 1) return 0;
  return 32 - clz<u32>(vcpuCount - 1);
}

/** The XCR0 bits the guest may set: what the host supports (0DH.0 EDX:EAX) ∩ XCR0_GUEST_MASK. */
export function guestXcr0Supported(snap: HostCpuid): u64 {
  if ((hostEcx(snap, 1, 0) & CPUID1_ECX_XSAVE) == 0) return 0;
  const host = <u64>hostEax(snap, 0xD, 0) | (<u64>hostEdx(snap, 0xD, 0) << 32);
  return host & XCR0_GUEST_MASK;
}

/** Size of the standard-format XSAVE area holding the components in `xcr0` (Vol 1 §13.4.1:
 *  fixed offsets, so the end of the last component, CPUID.(0DH,i) EBX + EAX). */
export function xsaveStandardSize(snap: HostCpuid, xcr0: u64): u32 {
  let size: u32 = 576; // legacy region (512) + XSAVE header (64)
  for (let i: u32 = 2; i < 10; i++) {
    if ((xcr0 & (<u64>1 << i)) == 0) continue;
    const end = hostEbx(snap, 0xD, i) + hostEax(snap, 0xD, i); // offset + size
    if (end > size) size = end;
  }
  return size;
}

/** Size of the compacted-format area for `xcr0` (Vol 1 §13.4.3: component i follows the enabled
 *  components below it, at the next 64-byte boundary when CPUID.(0DH,i):ECX[1] = 1). */
function xsaveCompactedSize(snap: HostCpuid, xcr0: u64): u32 {
  let size: u32 = 576;
  for (let i: u32 = 2; i < 10; i++) {
    if ((xcr0 & (<u64>1 << i)) == 0) continue;
    if ((hostEcx(snap, 0xD, i) & 2) != 0) size = (size + 63) & ~63;
    size += hostEax(snap, 0xD, i);
  }
  return size;
}

@inline function set(out: CpuidResult, eax: u32, ebx: u32, ecx: u32, edx: u32): void {
  out.eax = eax;
  out.ebx = ebx;
  out.ecx = ecx;
  out.edx = edx;
}

/** The highest basic leaf the guest sees. */
export function guestMaxBasic(snap: HostCpuid): u32 {
  return min<u32>(hostEax(snap, 0, 0), CPUID_GUEST_MAX_BASIC);
}
/** The highest extended leaf the guest sees (0 when the host has none). */
export function guestMaxExt(snap: HostCpuid): u32 {
  const host = hostEax(snap, 0x80000000, 0);
  return host < 0x80000000 ? 0 : min<u32>(host, CPUID_GUEST_MAX_EXT);
}

/**
 * Guest CPUID(leaf, subleaf) into `out`. `guestCr4` and `guestXcr0` are the vCPU's current values
 * (1.ECX.OSXSAVE, 7.ECX.OSPKE and 0DH.0 EBX reflect them, Table 3-8). Every guest CPUID exit runs
 * this (the core keeps no answer cache), so each leaf looks its host entry up once
 * (host-cpuid.ts hostEntry, O(1)) and the highest extended leaf is looked up only for
 * extended leaves.
 */
export function guestCpuid(
  snap: HostCpuid, cfg: CpuidConfig, leaf: u32, subleaf: u32, guestCr4: u64, guestXcr0: u64, out: CpuidResult,
): void {
  if (leaf >= CPUID_HV_BASE && leaf < 0x80000000) {
    hypervisorLeaf(cfg, leaf, out);
    return;
  }
  const maxBasic = guestMaxBasic(snap);
  // Table 3-8 note: an input above the highest basic or extended leaf returns the data of the
  // highest basic leaf.
  if (leaf >= 0x80000000) {
    const maxExt = guestMaxExt(snap);
    if (leaf <= maxExt) {
      extendedLeaf(snap, cfg, leaf, maxExt, out);
      return;
    }
    leaf = maxBasic;
  } else if (leaf > maxBasic) {
    leaf = maxBasic;
  }
  switch (leaf) {
    case 0: {
      const h = hostEntry(snap, 0, 0);
      set(out, maxBasic, h.ebx, h.ecx, h.edx);
      break;
    }
    case 1: {
      // EBX: 7:0 brand index, 15:8 CLFLUSH size (host); 23:16 addressable logical ids; 31:24 APIC id.
      const h = hostEntry(snap, 1, 0);
      const shift = coreIdBits(cfg.vcpuCount);
      const ebx = (h.ebx & 0xFFFF) | (((<u32>1 << shift) & 0xFF) << 16) | ((cfg.apicId & 0xFF) << 24);
      let ecx = (h.ecx & ~CPUID1_ECX_HIDDEN) | CPUID1_ECX_HYPERVISOR;
      if ((cfg.flags & CPUID_CFG_PCID) != 0) ecx |= h.ecx & CPUID1_ECX_PCID;
      if ((ecx & CPUID1_ECX_XSAVE) != 0 && (guestCr4 & CR4_OSXSAVE) != 0) ecx |= CPUID1_ECX_OSXSAVE;
      let edx = h.edx & ~CPUID1_EDX_HIDDEN;
      if (cfg.vcpuCount > 1) edx |= CPUID1_EDX_HTT;
      set(out, h.eax, ebx, ecx, edx);
      break;
    }
    case 2: case 0x15: case 0x16: {
      // Cache/TLB descriptors, TSC/crystal ratio, frequencies: informational, passed through.
      const h = hostEntry(snap, leaf, 0);
      set(out, h.eax, h.ebx, h.ecx, h.edx);
      break;
    }
    case 4: {
      // Deterministic cache parameters. EAX[31:26] = addressable core ids - 1, EAX[25:14] =
      // addressable ids sharing the cache - 1: every vCPU is one core; L3 (EAX[7:5] = 3) is shared.
      const h = hostEntry(snap, 4, subleaf);
      const eax = h.eax;
      if ((eax & 0x1F) == 0) { set(out, 0, 0, 0, 0); break; }
      const span = (<u32>1 << coreIdBits(cfg.vcpuCount)) - 1;
      const sharing = ((eax >> 5) & 7) >= 3 ? span : 0;
      set(out, (eax & 0x3FFF) | ((sharing & 0xFFF) << 14) | ((span & 0x3F) << 26), h.ebx, h.ecx, h.edx);
      break;
    }
    case 6:
      set(out, hostEax(snap, 6, 0) & CPUID6_EAX_ARAT, 0, 0, 0);
      break;
    case 7:
      structuredLeaf(snap, cfg, subleaf, guestCr4, out);
      break;
    case 0xB: case 0x1F:
      topologyLeaf(cfg, subleaf, coreIdBits(cfg.vcpuCount), out);
      break;
    case 0xD:
      xsaveLeaf(snap, subleaf, guestXcr0, out);
      break;
    default:
      set(out, 0, 0, 0, 0);
  }
}

function hypervisorLeaf(cfg: CpuidConfig, leaf: u32, out: CpuidResult): void {
  if (leaf == CPUID_HV_BASE) {
    set(out, CPUID_HV_FEATURES, CPUID_HV_SIGNATURE, CPUID_HV_SIGNATURE, CPUID_HV_SIGNATURE);
  } else if (leaf == CPUID_HV_FEATURES) {
    // EAX features, EBX this vCPU's index, ECX the VM's vCPU count.
    set(out, CPUID_HV_FEATURE_BITS, cfg.vcpuIndex, cfg.vcpuCount, 0);
  } else {
    set(out, 0, 0, 0, 0);
  }
}

function structuredLeaf(snap: HostCpuid, cfg: CpuidConfig, subleaf: u32, guestCr4: u64, out: CpuidResult): void {
  if (subleaf == 0) {
    const h = hostEntry(snap, 7, 0);
    let ebx = h.ebx & ~CPUID7_EBX_HIDDEN;
    if ((cfg.flags & CPUID_CFG_INVPCID) != 0) ebx |= h.ebx & CPUID7_EBX_INVPCID;
    let ecx = h.ecx & ~CPUID7_ECX_HIDDEN;
    if ((ecx & CPUID7_ECX_PKU) != 0 && (guestCr4 & CR4_PKE) != 0) ecx |= CPUID7_ECX_OSPKE;
    set(out, min<u32>(h.eax, 1), ebx, ecx, h.edx & CPUID7_EDX_KEPT);
  } else if (subleaf == 1 && hostEax(snap, 7, 0) >= 1) {
    set(out, hostEax(snap, 7, 1) & CPUID7_1_EAX_KEPT, 0, 0, 0);
  } else {
    set(out, 0, 0, 0, 0);
  }
}

/**
 * Extended topology (leaves 0BH and 1FH, same format): level 0 = SMT (one thread per core),
 * level 1 = core (`shift` bits of APIC id), then invalid levels. ECX[15:8] level type
 * (1 SMT, 2 core, 0 invalid), ECX[7:0] the input subleaf, EDX the x2APIC id.
 */
function topologyLeaf(cfg: CpuidConfig, subleaf: u32, shift: u32, out: CpuidResult): void {
  const level = subleaf & 0xFF;
  if (subleaf == 0) set(out, 0, 1, level | (1 << 8), cfg.apicId);
  else if (subleaf == 1) set(out, shift, cfg.vcpuCount & 0xFFFF, level | (2 << 8), cfg.apicId);
  else set(out, 0, 0, level, cfg.apicId);
}

function xsaveLeaf(snap: HostCpuid, subleaf: u32, guestXcr0: u64, out: CpuidResult): void {
  const supported = guestXcr0Supported(snap);
  if (supported == 0) { set(out, 0, 0, 0, 0); return; }
  if (subleaf == 0) {
    // EAX/EDX supported XCR0; EBX size for the XCR0 now enabled; ECX size for all supported.
    set(out, <u32>supported, xsaveStandardSize(snap, guestXcr0 & supported),
      xsaveStandardSize(snap, supported), <u32>(supported >> 32));
  } else if (subleaf == 1) {
    // EAX: XSAVEOPT(0) XSAVEC(1) XGETBV_ECX1(2) kept; XSAVES(3)/XFD(4) hidden, so the guest's
    // IA32_XSS is 0 and ECX:EDX (the IA32_XSS bits supported) read 0. EBX: the size of the
    // compacted area for XCR0 | IA32_XSS = the guest's XCR0 (Vol 2A CPUID 0DH.1), what its XSAVEC
    // writes — computed, not the host's EBX, which describes the host's XCR0 (and which Bochs
    // reports wrongly, see the XSAVEC note at XCR0_GUEST_MASK).
    set(out, hostEax(snap, 0xD, 1) & 0x7, xsaveCompactedSize(snap, guestXcr0 & supported), 0, 0);
  } else if (subleaf < 64 && (supported & (<u64>1 << subleaf)) != 0) {
    set(out, hostEax(snap, 0xD, subleaf), hostEbx(snap, 0xD, subleaf), hostEcx(snap, 0xD, subleaf) & 0x3, 0);
  } else {
    set(out, 0, 0, 0, 0);
  }
}

function extendedLeaf(snap: HostCpuid, cfg: CpuidConfig, leaf: u32, maxExt: u32, out: CpuidResult): void {
  const h = hostEntry(snap, leaf, 0);
  switch (leaf) {
    case 0x80000000:
      set(out, maxExt, 0, 0, 0);
      break;
    case 0x80000001: {
      let edx = h.edx & (CPUIDX1_EDX_SYSCALL | CPUIDX1_EDX_NX | CPUIDX1_EDX_LM);
      if ((cfg.flags & CPUID_CFG_PAGE1G) != 0) edx |= h.edx & CPUIDX1_EDX_PAGE1G;
      if ((cfg.flags & CPUID_CFG_RDTSCP) != 0) edx |= h.edx & CPUIDX1_EDX_RDTSCP;
      set(out, 0, 0, h.ecx & CPUIDX1_ECX_KEPT, edx);
      break;
    }
    case 0x80000002: case 0x80000003: case 0x80000004: case 0x80000006:
      // Brand string; L2 cache information.
      set(out, h.eax, h.ebx, h.ecx, h.edx);
      break;
    case 0x80000007:
      set(out, 0, 0, 0, h.edx & CPUIDX7_EDX_INVARIANT_TSC);
      break;
    case 0x80000008:
      // EAX[7:0] physical address bits (host); [15:8] linear: at most 48, LA57 being hidden.
      // EBX (WBNOINVD, speculation controls) hidden.
      set(out, (h.eax & 0xFF) | (min<u32>((h.eax >> 8) & 0xFF, 48) << 8), 0, 0, 0);
      break;
    default:
      set(out, 0, 0, 0, 0);
  }
}
