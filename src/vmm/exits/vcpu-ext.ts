// Per-vCPU state of the emulation side, kept beside the VCpu block (src/vmx/vcpu.ts, owned by
// the VMX core) in a static slab indexed by (VM id, vCPU index): emulated MSRs, pending events,
// the last injection decision, CR8, and scratch for page walks, instruction fetch and decoding.
// One block per vCPU, so exits handled on several CPUs at once never share scratch memory.
//
// Block layout (EXT_SIZE bytes):
//     0 MsrState (256)           256 EventState (32)        288 EntryDecision (32)
//   320 GuestPagingRegs (40)     360 pad                    368 GuestWalk (32)
//   400 MmioInsn (72)            472 tpr (u32)  476 ready (u32)
//   480 scalar cell (u64)        488 fetch buffer (16)       504 Cr0Update (24)
//   528 CPUID answer cache (CPUID_CACHE_BYTES = 384, exits/cpuid-view.ts)              912 end

import { VCpu } from "../../vmx/vcpu";
import { Vm, MAX_VMS } from "../vm";
import { cpuid } from "../../x86/cpuid";
import { MSR_STATE_SIZE, msrStateInit } from "../policy/msr-state";
import { EventState, eventsReset } from "../events/pending";
import { EntryDecision } from "../events/inject";
import { GuestPagingRegs, GuestWalk } from "../../ept/guest-paging";
import { MmioInsn } from "../mmio/insn";
import { Cr0Update } from "./cr-rules";
import { cpuidCacheFlush } from "./cpuid-cache";

/** vCPUs per VM this slab has room for (a VM with more is refused by exitsVcpuReady). */
export const MAX_VCPUS_PER_VM: u32 = 8;
const EXT_SIZE: u32 = 1024;
const OFF_MSR: usize = 0;
const OFF_EVENTS: usize = 256;
const OFF_DECISION: usize = 288;
const OFF_PAGING: usize = 320;
const OFF_WALK: usize = 368;
const OFF_INSN: usize = 400;
const OFF_TPR: usize = 472;
const OFF_READY: usize = 476;
const OFF_CELL: usize = 480;
const OFF_FETCH: usize = 488;
const OFF_CR0UP: usize = 504;
const OFF_CPUID: usize = 528;
/** Bytes of the CPUID answer cache (exits/cpuid-view.ts: 16 entries of 24 bytes). */
export const CPUID_CACHE_BYTES: usize = 384;

const SLAB: usize = memory.data(<i32>(MAX_VMS * MAX_VCPUS_PER_VM * EXT_SIZE), 16);
let maxPhysBitsValue: u32 = 0;

/** Whether `vcpu` has an extension block (its index fits the slab). */
@inline export function extFits(vcpu: VCpu): bool { return vcpu.index < MAX_VCPUS_PER_VM; }

/**
 * The block of `vcpu`. Invariant: extFits(vcpu) (checked by exitsVcpuReady before any handler
 * uses the block) and the VM's id < MAX_VMS (vm.ts hands out no other).
 */
@inline function ext(vcpu: VCpu): usize {
  const vm = changetype<Vm>(vcpu.vm);
  const i = (vm.id % MAX_VMS) * MAX_VCPUS_PER_VM + (vcpu.index % MAX_VCPUS_PER_VM);
  return SLAB + <usize>i * EXT_SIZE;
}

/** extEvents through the cached block address. Invariant: vcpu.ext != 0 (exitsVcpuReady ran). */
@inline export function extEventsReady(vcpu: VCpu): EventState { return changetype<EventState>(vcpu.ext + OFF_EVENTS); }
@inline export function extMsrState(vcpu: VCpu): usize { return ext(vcpu) + OFF_MSR; }
@inline export function extEvents(vcpu: VCpu): EventState { return changetype<EventState>(ext(vcpu) + OFF_EVENTS); }
@inline export function extDecision(vcpu: VCpu): EntryDecision { return changetype<EntryDecision>(ext(vcpu) + OFF_DECISION); }
@inline export function extPaging(vcpu: VCpu): GuestPagingRegs { return changetype<GuestPagingRegs>(ext(vcpu) + OFF_PAGING); }
@inline export function extWalk(vcpu: VCpu): GuestWalk { return changetype<GuestWalk>(ext(vcpu) + OFF_WALK); }
@inline export function extInsn(vcpu: VCpu): MmioInsn { return changetype<MmioInsn>(ext(vcpu) + OFF_INSN); }
/** The CPUID answer cache (exits/cpuid-view.ts). Invariant: vcpu.ext != 0 (exitsVcpuReady ran). */
@inline export function extCpuidCache(vcpu: VCpu): usize { return vcpu.ext + OFF_CPUID; }
/** The CPUID answer cache of the block at `ext` (a non-zero VCpu.ext). */
@inline export function extCpuidCacheAt(ext: usize): usize { return ext + OFF_CPUID; }
@inline export function extCr0Update(vcpu: VCpu): Cr0Update { return changetype<Cr0Update>(ext(vcpu) + OFF_CR0UP); }
/** An 8-byte result cell (GuestMemory scalar reads, MMIO reads). */
@inline export function extCell(vcpu: VCpu): usize { return ext(vcpu) + OFF_CELL; }
/** 16 bytes for instruction bytes (at most 15 are fetched). */
@inline export function extFetchBuffer(vcpu: VCpu): usize { return ext(vcpu) + OFF_FETCH; }
@inline export function extTpr(vcpu: VCpu): u32 { return load<u32>(ext(vcpu) + OFF_TPR); }
@inline export function extSetTpr(vcpu: VCpu, v: u32): void { store<u32>(ext(vcpu) + OFF_TPR, v); }

/** The guest's MAXPHYADDR: the host's CPUID 80000008H.EAX[7:0] (the policy passes it through). */
export function guestMaxPhysBits(): u32 {
  if (maxPhysBitsValue == 0) {
    const max = cpuid(0x80000000, 0).eax;
    maxPhysBitsValue = max >= 0x80000008 ? cpuid(0x80000008, 0).eax & 0xFF : 36;
    if (maxPhysBitsValue < 32 || maxPhysBitsValue > 52) maxPhysBitsValue = 36;
  }
  return maxPhysBitsValue;
}

/**
 * Makes sure `vcpu`'s block exists and is initialized (reset values, SDM Vol 3A §9.1.1: the
 * BSP is vCPU 0). False when the vCPU index does not fit: the caller stops the VM.
 */
export function exitsVcpuReady(vcpu: VCpu): bool {
  // The offsets above must leave room for the structures they name (folds to nothing).
  assert(OFF_MSR + <usize>MSR_STATE_SIZE <= OFF_EVENTS && OFF_DECISION + offsetof<EntryDecision>() <= OFF_PAGING &&
    OFF_PAGING + offsetof<GuestPagingRegs>() <= OFF_WALK && OFF_WALK + offsetof<GuestWalk>() <= OFF_INSN &&
    OFF_INSN + offsetof<MmioInsn>() <= OFF_TPR && OFF_CR0UP + offsetof<Cr0Update>() <= OFF_CPUID &&
    OFF_CPUID + CPUID_CACHE_BYTES <= <usize>EXT_SIZE,
    "vcpu-ext layout overlaps");
  // vcpu.ext is set below, once the block is initialized: every later exit pays one compare.
  if (vcpu.ext != 0) return true;
  if (!extFits(vcpu)) return false;
  const b = ext(vcpu);
  if (load<u32>(b + OFF_READY) != 0) { vcpu.ext = b; return true; }
  memory.fill(b, 0, EXT_SIZE);
  msrStateInit(b + OFF_MSR, vcpu.index == 0);
  eventsReset(extEvents(vcpu));
  extPaging(vcpu).maxPhysBits = guestMaxPhysBits();
  cpuidCacheFlush(b + OFF_CPUID);
  store<u32>(b + OFF_READY, 1);
  vcpu.ext = b;
  return true;
}
