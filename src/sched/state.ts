// The vCPU scheduling state machine (DESIGN.md §3 sched). Stored in VCpu.state (src/vmx/vcpu.ts).
//
//   RUNNABLE --HLT with RFLAGS.IF = 1-------------> HALTED   (waits for an interrupt to inject)
//   HALTED   --an event becomes pending-----------> RUNNABLE (interrupt controllers, later)
//   RUNNABLE/HALTED --HLT with IF = 0, exit
//            hypercall, VM stopped----------------> DONE     (never scheduled again)
//
// A vCPU that is preempted (VMX-preemption timer) stays RUNNABLE and goes to the back of the queue.
export const enum VCpuState {
  RUNNABLE = 0,
  HALTED = 1,
  DONE = 2,
}
