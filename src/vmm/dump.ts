// The register/VMCS dump printed after `[NAME] stopped: …`: what an operator needs to see why a
// guest was stopped. Reads the current VMCS (the stopped vCPU's), so callers run it before any
// other VMPTRLD. Lines are prefixed with the VM's name like all its output.

import { VCpu } from "../vmx/vcpu";
import { vmread16, vmread32, vmread64, vmreadNat } from "../vmx/vmcs-access";
import { Vmcs16Guest, Vmcs32Guest, Vmcs32Ro, Vmcs64Guest, Vmcs64Ro, VmcsNatGuest, VmcsNatRo } from "../vmx/vmcs/fields";
import { print, printHex, putChar } from "./console/print";
import { Vm, printVmPrefix } from "./vm";

function reg(name: string, v: u64): void {
  print(name);
  print("=");
  printHex(v, 16);
  print(" ");
}

function line(vm: Vm): void { putChar(0x0a); printVmPrefix(vm); print("  "); }

export function dumpVcpu(vcpu: VCpu, vm: Vm): void {
  printVmPrefix(vm);
  print("  ");
  reg("rip", vcpu.rip());
  reg("rsp", vmreadNat(VmcsNatGuest.RSP));
  reg("rflags", vmreadNat(VmcsNatGuest.RFLAGS));
  line(vm);
  reg("rax", vcpu.rax); reg("rbx", vcpu.rbx); reg("rcx", vcpu.rcx); reg("rdx", vcpu.rdx);
  line(vm);
  reg("rsi", vcpu.rsi); reg("rdi", vcpu.rdi); reg("rbp", vcpu.rbp); reg("r8", vcpu.r8);
  line(vm);
  reg("cr0", vmreadNat(VmcsNatGuest.CR0));
  reg("cr3", vmreadNat(VmcsNatGuest.CR3));
  reg("cr4", vmreadNat(VmcsNatGuest.CR4));
  reg("efer", vmread64(Vmcs64Guest.IA32_EFER));
  line(vm);
  print("cs=");
  printHex(vmread16(Vmcs16Guest.CS_SELECTOR), 4);
  print(" base=");
  printHex(vmreadNat(VmcsNatGuest.CS_BASE));
  print(" ar=");
  printHex(vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS), 4);
  print(" exit-reason=");
  printHex(vcpu.exitReason, 8);
  print(" qual=");
  printHex(vmreadNat(VmcsNatRo.EXIT_QUALIFICATION));
  print(" gpa=");
  printHex(vmread64(Vmcs64Ro.GUEST_PHYSICAL_ADDR));
  print(" intr-info=");
  printHex(vmread32(Vmcs32Ro.EXIT_INTERRUPTION_INFO), 8);
  putChar(0x0a);
}
