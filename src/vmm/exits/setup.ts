// Making a vCPU ready for the emulation handlers: its extension block (vcpu-ext.ts) and its VM's
// platform (buses, devices; src/vmm/devices/platform.ts). Every handler of this directory starts
// here, so a VM whose setup was not run explicitly still gets it on its first exit.

import { VCpu } from "../../vmx/vcpu";
import { Vm, vmOf, stopVm } from "../vm";
import { BusStatus } from "../bus/bus";
import { platformReady, platformSetup } from "../devices/platform";
import { exitsVcpuReady } from "./vcpu-ext";
import { eventsAfterExit } from "../events/apply";

/** Builds `vm`'s platform if that has not happened yet. False when it cannot be built. */
export function exitsVmReady(vm: Vm): bool {
  if (platformReady(vm)) return true;
  return platformSetup(vm) == BusStatus.OK;
}

/**
 * Called first by every handler here: the vCPU block and the platform exist, and an event whose
 * delivery this exit interrupted is recorded for re-injection. False: the VM has been stopped.
 */
export function handlerEnter(vcpu: VCpu): bool {
  if (!exitsVcpuReady(vcpu)) {
    stopVm(vcpu, "vCPU index beyond the emulation state slab (MAX_VCPUS_PER_VM)");
    return false;
  }
  if (!exitsVmReady(vmOf(vcpu))) {
    stopVm(vcpu, "platform devices could not be registered");
    return false;
  }
  eventsAfterExit(vcpu);
  return true;
}

/**
 * handlerEnter for exits caused by executing an instruction (port I/O): no event was being
 * delivered, so there is no IDT-vectoring information to record (SDM Vol 3C §27.2.4: it is valid
 * only when the exit occurred during event delivery through the IDT). Once the vCPU block and
 * the platform exist, this is two loads and compares.
 */
@inline export function handlerEnterInsn(vcpu: VCpu): bool {
  if (vcpu.ext != 0 && platformReady(vmOf(vcpu))) return true;
  return handlerEnter(vcpu);
}
