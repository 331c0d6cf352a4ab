// Building the VMs: one per embedded guest image (hw_guest_images, linked from
// build/guests/guests.o), one vCPU each. Per VM: 4 MiB of RAM at guest-physical 0 backed by two
// 2 MiB host pages, mapped write-back through the VM's own EPT (SDM Vol 3C §28.3; the MMIO
// test-device page 0xFEB00000 is deliberately left unmapped so every access is an EPT violation);
// the image copied to 0x8000 through GuestMemory; its platform (port and MMIO buses, devices,
// I/O bitmaps: src/vmm/devices/platform.ts); a VMCS (§24.2) with controls, host and guest state;
// a CPUID answer cache and an FPU-state area. Frames come from the host frame allocator
// (src/vmm/mem/frames.ts), below 4 GiB (the core reaches them through wasm32 addresses).

import { hw_guest_images, hw_vmclear, hw_invvpid } from "../hw";
import { FrameAllocator, allocFrame, alloc2MRun } from "./mem/frames";
import { TableFrames } from "./mem/table-frames";
import { eptInit, eptMap, eptPointerOf, EptStatus, EPT_RWX, EPT_MT_WB } from "../ept/table";
import { IdentityPhys } from "../ept/phys";
import { basicRevisionId } from "../vmx/vmcs/basic";
import { VCpu, VCPU_SIZE } from "../vmx/vcpu";
import { vmxCaps, vmxLoadVmcs, vmxControls } from "../vmx/vmx-cpu";
import { VmcsPointers, vmcsWriteControls, vmcsWriteHostState } from "../vmx/vmcs-setup";
import { PROC2_ENABLE_VPID } from "../vmx/vmcs/controls";
import { VPIDCAP_INVVPID, VPIDCAP_INVVPID_SINGLE_CONTEXT, VPIDCAP_INVVPID_ALL_CONTEXT } from "../ept/entry";
import { VCpuState } from "../sched/state";
import { sliceTicksFor } from "../sched/policy";
import { hostTscHz } from "./time/host-time";
import { print, printDec, printHex, println } from "./console/print";
import { Vm, vmCreate, hostPhys, vmWrite, stopVmBegin, printVmPrefix, VmState } from "./vm";
import { GuestImageHeader, checkGuestImage, imageStatusText, ImageStatus, GUEST_LOAD_GPA, GUEST_MODE_LONG } from "./guest-image";
import { writeGuestStart } from "./guest-start";
import { fpuAreaInit } from "./fpu";
import { platformSetup, platformIoBitmapA, platformIoBitmapB, platformMsrBitmap } from "./devices/platform";
import { BusStatus } from "./bus/bus";

/** Guest RAM per VM (docs/guest-protocol.md: at least 2 MiB; we give 4 MiB). */
export const GUEST_RAM_SIZE: u64 = 4 << 20;
const LIMIT_4G: u64 = <u64>1 << 32;
const MAX_VCPUS: u32 = 8;
/** Guest images larger than this are refused before they are read (2 MiB: half of guest RAM). */
const IMAGE_SIZE_MAX: u64 = 2 << 20;
/** INVVPID types (SDM Vol 3C §30.3 INVVPID). */
const INVVPID_SINGLE_CONTEXT: u32 = 1;
const INVVPID_ALL_CONTEXT: u32 = 2;

const VCPUS: usize = memory.data(<i32>(MAX_VCPUS * VCPU_SIZE), 64);
let vcpuCountValue: u32 = 0;
const TABLE_FRAMES: usize = memory.data(16, 8);
const POINTERS: usize = memory.data(40, 8);

export function vcpuCount(): u32 { return vcpuCountValue; }
/** Whether another vCPU slot is free. */
export function vcpuSlotFree(): bool { return vcpuCountValue < MAX_VCPUS; }

/**
 * Fills the next vCPU slot for `vm` (index 0, VPID, slice, RUNNABLE, CPUID cache, FPU area). It
 * becomes visible to the scheduler only through vcpuCommit, once its VMCS is built. Null (VM
 * refused, message printed) when no slot or no FPU frame is left.
 */
export function vcpuPrepare(vm: Vm, a: FrameAllocator): VCpu | null {
  if (vcpuCountValue >= MAX_VCPUS) { refuse(vm, "no vCPU slot left"); return null; }
  const vcpu = vcpuAt(vcpuCountValue);
  memory.fill(changetype<usize>(vcpu), 0, VCPU_SIZE);
  vcpu.vm = changetype<usize>(vm);
  vcpu.index = 0;
  vcpu.vpid = vcpuCountValue + 1;
  vcpu.sliceTicks = sliceTicksFor(hostTscHz()); // measured by main.ts reportTime before any VM
  vcpu.state = VCpuState.RUNNABLE;
  const fpu = frame(a);
  if (fpu == 0) { refuse(vm, "no host memory for the vCPU's FPU state"); return null; }
  fpuAreaInit(<usize>fpu);
  vcpu.fpuArea = <usize>fpu;
  return vcpu;
}

/** Makes the prepared vCPU part of its VM and of the run queue. */
export function vcpuCommit(vm: Vm, vcpu: VCpu): void {
  vm.vcpu0 = changetype<usize>(vcpu);
  vm.vcpuCount = 1;
  vcpuCountValue++;
}
/** vCPU `i`. Invariant: i < vcpuCount(). */
export function vcpuAt(i: u32): VCpu { return changetype<VCpu>(VCPUS + <usize>i * VCPU_SIZE); }

/** One guest-image table entry: {dq name, dq data, dq size} (hw_guest_images). */
@unmanaged class ImageEntry {
  name: u64;
  data: u64;
  size: u64;
}

/** A zeroed 4 KiB frame below 4 GiB, or 0. */
export function frame(a: FrameAllocator): u64 {
  const pa = allocFrame(a, LIMIT_4G);
  if (pa != 0) memory.fill(<usize>pa, 0, 4096);
  return pa;
}

/** Prints `[NAME] stopped: <what>` for a VM that could not be built (no vCPU, no dump). */
export function refuse(vm: Vm, what: string): void {
  stopVmBegin(vm);
  println(what);
  vm.state = VmState.STOPPED;
}

/**
 * Guest RAM: `bytes` (a multiple of 2 MiB) of zeroed 2 MiB host pages below 4 GiB, mapped WB at
 * guest-physical 0 through a new EPT. On failure the VM is refused with `noRam` (or the EPT
 * message) and false is returned. Shared by the test-guest VMs and the Linux VMs (linux-vm.ts).
 */
export function buildGuestRam(vm: Vm, a: FrameAllocator, bytes: u64, noRam: string): bool {
  const ram = alloc2MRun(a, bytes >> 21, LIMIT_4G);
  if (ram == 0) { refuse(vm, noRam); return false; }
  memory.fill(<usize>ram, 0, <usize>bytes);
  vm.ramHpa = ram;
  vm.ramStart = 0;
  vm.ramEnd = bytes;
  const tf = changetype<TableFrames>(TABLE_FRAMES);
  tf.allocator = changetype<usize>(a);
  tf.limit = LIMIT_4G;
  const ept = vm.ept();
  const phys = hostPhys();
  if (eptInit<IdentityPhys, TableFrames>(ept, phys, tf, vmxCaps(0).eptVpidCap) != EptStatus.OK ||
      eptMap<IdentityPhys, TableFrames>(ept, phys, tf, 0, ram, bytes, EPT_RWX, EPT_MT_WB) != EptStatus.OK) {
    refuse(vm, "no host memory for EPT tables");
    return false;
  }
  return true;
}

/** RAM + EPT + image. Returns false (VM refused, message printed) on any failure. */
function buildMemory(vm: Vm, a: FrameAllocator, e: ImageEntry): bool {
  if (!buildGuestRam(vm, a, GUEST_RAM_SIZE, "no host memory for guest RAM")) return false;
  const size = e.size;
  const st = checkGuestImage(<usize>e.data, size, GUEST_RAM_SIZE);
  if (st != ImageStatus.OK) {
    stopVmBegin(vm);
    print("bad image header: ");
    println(imageStatusText(st));
    vm.state = VmState.STOPPED;
    return false;
  }
  if (vmWrite(vm, GUEST_LOAD_GPA, <usize>e.data, size) != 0) { refuse(vm, "image copy failed"); return false; }
  return true;
}

/** The VMCS of `vcpu` for image header `h`. */
function buildVmcs(vm: Vm, vcpu: VCpu, a: FrameAllocator, h: GuestImageHeader): bool {
  if (!newVmcs(vm, vcpu, a, h.mode == GUEST_MODE_LONG)) return false;
  if (writeGuestStart(h, vmxCaps(0)) != 0) { refuse(vm, "a VMWRITE to the new VMCS failed"); return false; }
  return true;
}

/**
 * A new VMCS for `vcpu`, made current, with its controls and host state (the guest-state area
 * is the caller's), and the vCPU's VPID flushed. `longMode`: the "IA-32e mode guest" entry control.
 */
export function newVmcs(vm: Vm, vcpu: VCpu, a: FrameAllocator, longMode: bool): bool {
  const vmcs = frame(a);
  if (vmcs == 0) { refuse(vm, "no host memory for the VMCS"); return false; }
  store<u32>(<usize>vmcs, basicRevisionId(vmxCaps(0).basic)); // §24.2: revision id, bit 31 = 0
  vcpu.vmcsPa = vmcs;
  // VMCLEAR initializes the region and sets the launch state "clear" (§24.11.3).
  if (hw_vmclear(vmcs) != 0 || vmxLoadVmcs(0, vmcs) != 0) { refuse(vm, "VMCLEAR/VMPTRLD of a new VMCS failed"); return false; }
  const p = changetype<VmcsPointers>(POINTERS);
  p.eptp = eptPointerOf(vm.ept());
  // The I/O bitmaps follow the VM's port bus and the MSR bitmap the MSR policy (SDM §24.6.4,
  // §24.6.9): only ports and MSRs the platform emulates or refuses exit (src/vmm/devices/platform.ts).
  p.ioBitmapA = <u64>platformIoBitmapA(vm);
  p.ioBitmapB = <u64>platformIoBitmapB(vm);
  p.msrBitmap = <u64>platformMsrBitmap();
  p.vpid = vcpu.vpid;
  const st = vmcsWriteControls(0, p, longMode) | vmcsWriteHostState(0);
  if (st != 0) { refuse(vm, "a VMWRITE to the new VMCS failed"); return false; }
  // A fresh VPID may still tag translations from an earlier use of the number (a previous kernel
  // on this CPU; §28.3.3.3). INVVPID exists only where IA32_VMX_EPT_VPID_CAP bit 32 says so (A.10).
  const cap = vmxCaps(0).eptVpidCap;
  if ((vmxControls(0).proc2 & PROC2_ENABLE_VPID) != 0 && (cap & VPIDCAP_INVVPID) != 0) {
    if ((cap & VPIDCAP_INVVPID_SINGLE_CONTEXT) != 0) hw_invvpid(INVVPID_SINGLE_CONTEXT, vcpu.vpid);
    else if ((cap & VPIDCAP_INVVPID_ALL_CONTEXT) != 0) hw_invvpid(INVVPID_ALL_CONTEXT, 0);
  }
  return true;
}

/**
 * Creates every VM. Prints one line per VM (`[NAME] created: mode M, entry …`) or why it was
 * refused. Returns the number of runnable vCPUs.
 */
export function createVms(a: FrameAllocator): u32 {
  const table = <usize>hw_guest_images();
  const count = load<u64>(table);
  if (count == 0) { println("VMs: no guest images linked into this image"); return 0; }
  return createImageVms(a, table, count);
}

/** One VM per embedded test-guest image (table of `count` entries at `table`). */
function createImageVms(a: FrameAllocator, table: usize, count: u64): u32 {
  let runnable: u32 = 0;
  for (let i: u64 = 0; i < count; i++) {
    const e = changetype<ImageEntry>(table + 8 + <usize>(i * 24));
    const vm = vmCreate(<usize>e.name);
    if (vm == null) { print("VMs: only "); printDec(i); println(" VMs fit; the rest are not started"); break; }
    if (e.size > IMAGE_SIZE_MAX) { refuse(vm, "image larger than 2 MiB"); continue; }
    if (vcpuCountValue >= MAX_VCPUS) { refuse(vm, "no vCPU slot left"); continue; }
    if (!buildMemory(vm, a, e)) continue;
    if (platformSetup(vm) != BusStatus.OK) { refuse(vm, "platform devices could not be registered"); continue; }
    const vcpu = vcpuPrepare(vm, a);
    if (vcpu == null) continue;
    const h = changetype<GuestImageHeader>(<usize>e.data);
    if (!buildVmcs(vm, vcpu, a, h)) continue;
    vcpuCommit(vm, vcpu);
    runnable++;
    printVmPrefix(vm);
    print("created: mode ");
    printDec(h.mode);
    print(", entry ");
    printHex(h.entry);
    print(", RAM 4 MiB at host ");
    printHex(vm.ramHpa);
    print(", EPT tables ");
    printDec(vm.ept().tables);
    println("");
  }
  return runnable;
}
