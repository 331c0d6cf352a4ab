// The core's entry point (docs/native-abi.md, "The boot stub ⇄ core interface"): the boot stub
// calls vmm_main on the boot CPU after __ts2n_init. It reports what it finds — build, CPU, memory,
// VT-x — then brings up VMX on the boot CPU, builds one VM per embedded guest image, runs them
// round-robin until every one has stopped, prints a summary per VM and halts.

import { TSHV_BUILD_ID, TSHV_VERSION } from "tshv-buildinfo";
import { hw_halt, hw_outb } from "../hw";
import { probeVmx } from "../vmx/probe";
import { vmxVerdict } from "../vmx/caps";
import { reportMemory } from "./boot/bootinfo";
import { BOOTINFO_OK } from "./boot/memory_summary";
import { FrameAllocator } from "./mem/frames";
import { hostFramesInit } from "./host-ram";
import { vmxBringUp } from "./bringup";
import { exitTable } from "./dispatch";
import { coreExitsInit, registerCoreExits } from "./core-exits";
import { registerExitHandlers } from "./exits/register";
import { createVms } from "./vm-setup";
import { createLinuxVm } from "./linux-vm";
import { createMultibootVm } from "./multiboot-vm";
import { parseVmConfigMb2, vmConfigModuleCount, vmDeclCount, vmDeclAt, VmKind } from "./config/vm-config";
import { hostTscCalibrate, hostRtcRead, hostYear, hostMonth, hostDay, hostHour, hostMinute, hostSecond } from "./time/host-time";
import { MB2_BOOT_MAGIC } from "./boot/bootinfo";
import { printDec } from "./console/print";
import { runAll } from "./run";
import { vmmExit, exitFastCheckTable } from "./exit-fast";
import { vmmExitCpuid, vmmExitIo } from "./exit-lite";
import { fpuInit, FpuStatus } from "./fpu";
import { XsavecLayout, xsavecLayout } from "./xsavec-layout";
import { guestMsrsInit } from "./guest-msrs";
import { guestDrInit } from "./guest-dr";
import { print, println } from "./console/print";
import { uartDrain, uartInit } from "./console/uart16550";
import { reportCpu } from "./cpu/identify";
import { reportVtx } from "./vtx_report";
// Linked for its side effect: asc routes `abort` there (mk/core.mk passes --use abort=…).
import "./panic";

/**
 * QEMU's isa-debug-exit device (`-device isa-debug-exit,iobase=0xf4,iosize=0x01`): writing V makes
 * QEMU exit with status (V << 1) | 1, so a test run under TCG (which has no VT-x) ends at once with
 * a status that says why. On a real PC nothing decodes port 0xF4: in the PC/AT map 0xF0-0xFF belong
 * to the math coprocessor (0xF0 clear busy, 0xF1 reset, 0xF8-0xFF the 80287 interface), and a
 * chipset forwards a port no device claims to LPC, where the write is dropped. It is written only
 * on the path that halts the CPU anyway, so even a device there could not change the outcome.
 */
const DEBUG_EXIT_PORT: u32 = 0xf4;
/** Exit value for "no usable VT-x": QEMU exits with status 3. */
const DEBUG_EXIT_NO_VTX: u32 = 1;

function stop(): void {
  uartDrain();
  hw_halt();
  unreachable();
}

/**
 * The exit path's call into the core (boot/vmrun.asm hw_vmrun, after every VM exit; docs/native-abi.md):
 * 0 = re-enter the guest now, 1 = return to the run loop. src/vmm/exit-fast.ts.
 */
export { vmmExit as vmm_exit };
/**
 * The exit path's lite entries (boot/vmrun.asm, before vmm_exit, for CPUID and I/O exits, with only
 * the caller-saved GPRs stored): 0 = handled, 1 = refused, changed nothing. src/vmm/exit-lite.ts.
 */
export { vmmExitCpuid as vmm_exit_cpuid, vmmExitIo as vmm_exit_io };

export function vmm_main(bootMagic: u32, bootInfo: u32): void {
  uartInit();
  print("tshv ");
  print(TSHV_VERSION);
  print(" (build ");
  print(TSHV_BUILD_ID);
  println(")");

  reportCpu();
  const memStatus = reportMemory(bootMagic, bootInfo);

  if (!reportVtx(vmxVerdict(probeVmx()))) {
    println("Stopping: this machine cannot run guests.");
    uartDrain();
    hw_outb(DEBUG_EXIT_PORT, DEBUG_EXIT_NO_VTX);
    stop();
  }
  // The frame allocator is built only from a memory map the parser accepted (src/vmm/boot/).
  const frames = memStatus == BOOTINFO_OK ? hostFramesInit(bootMagic, bootInfo) : 0;
  if (frames == 0) {
    println("VT-x bring-up: refused: no usable memory map for the frame allocator");
    stop();
  }
  const a = changetype<FrameAllocator>(frames);
  // Before bring-up: it may set CR4.OSXSAVE, which HOST_CR4 must then include.
  coreExitsInit();
  if (fpuInit() != FpuStatus.OK) println("FPU: XSAVE area larger than 4 KiB; guests get x87/SSE state switching only");
  if (xsavecLayout() == XsavecLayout.BROKEN) println("FPU: XSAVEC writes the compacted format at the wrong offsets (an emulator defect); Linux VMs are not offered it");
  if (!vmxBringUp(a)) stop();
  guestMsrsInit();
  guestDrInit();
  registerCoreExits(exitTable());
  registerExitHandlers(exitTable());
  exitFastCheckTable();
  reportTime();
  // VMs declared by boot modules (docs/vm-config.md); without any module, the embedded test guests.
  let runnable: u32 = 0;
  if (bootMagic == MB2_BOOT_MAGIC && memStatus == BOOTINFO_OK) parseVmConfigMb2(<usize>bootInfo);
  if (vmConfigModuleCount() != 0) {
    for (let i: u32 = 0; i < vmDeclCount(); i++) {
      const d = vmDeclAt(i);
      runnable += d.kind == VmKind.MULTIBOOT ? createMultibootVm(d, a) : createLinuxVm(d, a);
    }
    if (runnable == 0) println("VMs: no declared VM could be created");
  } else {
    runnable = createVms(a);
  }
  if (runnable != 0) runAll();
  stop();
}

/** Measures the TSC against the PIT and reads the RTC: `Time: TSC N kHz, RTC YYYY-MM-DD hh:mm:ss`. */
function reportTime(): void {
  const hz = hostTscCalibrate();
  hostRtcRead();
  print("Time: TSC ");
  if (hz == 0) print("unknown (the PIT did not count; guests calibrate themselves)");
  else { printDec(hz / 1000); print(" kHz (measured against the PIT)"); }
  print(", RTC ");
  printDec(hostYear()); print("-"); print2(hostMonth()); print("-"); print2(hostDay());
  print(" "); print2(hostHour()); print(":"); print2(hostMinute()); print(":"); print2(hostSecond());
  println("");
}
function print2(v: u32): void {
  if (v < 10) print("0");
  printDec(v);
}
