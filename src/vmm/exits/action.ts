// What an exit handler tells the run loop (src/vmm/run.ts) to do next. A handler has the type
// `(vcpu: VCpu) => ExitAction` (src/vmm/dispatch.ts, ExitHandler).
//
//   Resume  the exit is handled; enter this vCPU again (RIP advanced by the handler if needed).
//   Yield   this vCPU gives up the CPU (HLT, preemption timer, exit hypercall): the scheduler
//           picks the next vCPU. The handler sets the vCPU's state first (src/sched/state.ts):
//           a vCPU still RUNNABLE is simply re-queued.
//   Stop    the VM must not run again. The handler has called stopVm()/stopVmEnd()
//           (src/vmm/vm.ts) with the reason; if it has not, the run loop stops the VM with
//           "handler returned Stop" so a VM is never left half-stopped.
export const enum ExitAction {
  Resume = 0,
  Yield = 1,
  Stop = 2,
}
