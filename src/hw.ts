// The boot stub's privileged intrinsics (docs/native-abi.md, "The boot stub ⇄ core interface").
//
// This is the ONLY file that declares `@external("hw", …)`: every privileged operation the core
// performs goes through one of these NASM functions (boot/hw*.asm), so the set of things the core
// can do to the machine is this list. Module "hw" field "F" links to the symbol `hw_F`.
// Names and signatures are the ABI table's, exactly; change them only together with the table
// and boot/. Pointers are wasm addresses (= physical addresses on bare metal).
//
// Binaryen drops imports nothing calls, so the wasm imports only the subset the core uses; a unit
// test (tests/unit/wasm-shape.test.ts) checks every import against the ABI table.

// ---- I/O ports (SDM Vol. 2B, OUT / IN) ---------------------------------------------------------
@external("hw", "outb") export declare function hw_outb(port: u32, value: u32): void;
@external("hw", "outw") export declare function hw_outw(port: u32, value: u32): void;
@external("hw", "outl") export declare function hw_outl(port: u32, value: u32): void;
@external("hw", "inb") export declare function hw_inb(port: u32): u32;
@external("hw", "inw") export declare function hw_inw(port: u32): u32;
@external("hw", "inl") export declare function hw_inl(port: u32): u32;

// ---- CPUID / MSRs (SDM Vol. 2A CPUID; Vol. 2B RDMSR / WRMSR) --------------------------------------
/** Writes eax, ebx, ecx, edx as 4×u32 at `out` (see x86/cpuid.ts, CpuidResult). */
@external("hw", "cpuid") export declare function hw_cpuid(leaf: u32, subleaf: u32, out: usize): void;
/** RDMSR. #GP on an MSR the CPU lacks: only for MSRs that CPUID says exist. */
@external("hw", "rdmsr") export declare function hw_rdmsr(msr: u32): u64;
/** 1 and the value stored (u64) at `out`, or 0 when RDMSR raised #GP (nothing stored). */
@external("hw", "rdmsr_safe") export declare function hw_rdmsr_safe(msr: u32, out: usize): u32;
@external("hw", "wrmsr") export declare function hw_wrmsr(msr: u32, value: u64): void;

// ---- control registers, TSC ---------------------------------------------------------------------
@external("hw", "read_cr0") export declare function hw_read_cr0(): u64;
@external("hw", "read_cr3") export declare function hw_read_cr3(): u64;
@external("hw", "read_cr4") export declare function hw_read_cr4(): u64;
@external("hw", "write_cr0") export declare function hw_write_cr0(value: u64): void;
@external("hw", "write_cr4") export declare function hw_write_cr4(value: u64): void;
@external("hw", "rdtsc") export declare function hw_rdtsc(): u64;

// ---- CPU control ----------------------------------------------------------------------------------
/** PAUSE: the spin-loop hint (SDM Vol. 2B, PAUSE). */
@external("hw", "pause") export declare function hw_pause(): void;
/** CLI; HLT forever. Never returns (callers follow it with `unreachable()`). */
@external("hw", "halt") export declare function hw_halt(): void;
/** This CPU's index, [gs:8] in the per-CPU block. */
@external("hw", "cpu_index") export declare function hw_cpu_index(): u32;
/** First byte after the image's .bss. */
@external("hw", "image_end") export declare function hw_image_end(): u64;

// ---- VMX instructions (SDM Vol. 3C ch. 30 "VMX Instruction Reference"; boot/vmx.asm) -----------
// Status results follow the VMX conventions (§30.2): 0 = VMsucceed, 1 = VMfailInvalid (CF = 1: no
// current VMCS / bad pointer), 2 = VMfailValid (ZF = 1: the reason is in VM_INSTRUCTION_ERROR).
/** VMXON with the VMXON region at physical `pa` (4 KiB aligned, revision id written). */
@external("hw", "vmxon") export declare function hw_vmxon(pa: u64): u32;
/** VMXOFF: leaves VMX operation. */
@external("hw", "vmxoff") export declare function hw_vmxoff(): u32;
/** VMCLEAR of the VMCS at physical `pa`: launch state "clear", data flushed to memory. */
@external("hw", "vmclear") export declare function hw_vmclear(pa: u64): u32;
/** VMPTRLD: the VMCS at physical `pa` becomes current on this CPU. */
@external("hw", "vmptrld") export declare function hw_vmptrld(pa: u64): u32;
/** VMREAD of `field` in the current VMCS (0 when VMREAD fails: unsupported field). */
@external("hw", "vmread") export declare function hw_vmread(field: u32): u64;
/** The VMCS fields of an EPT violation's emulation into `regs` and `info` (layout: native-abi.md). */
@external("hw", "vmread_mmio") export declare function hw_vmread_mmio(regs: usize, info: usize): void;
/** VMWRITE of `field` in the current VMCS; status as above. */
@external("hw", "vmwrite") export declare function hw_vmwrite(field: u32, value: u64): u32;
/** INVEPT of `type` (1 single-context, 2 all-context) for `eptp` (§30.3, INVEPT descriptor). */
@external("hw", "invept") export declare function hw_invept(type: u32, eptp: u64): u32;
/** INVVPID of `type` (1 single-context, 2 all-context) for `vpid`. */
@external("hw", "invvpid") export declare function hw_invvpid(type: u32, vpid: u32): u32;
/**
 * Enters the guest whose register block (docs/native-abi.md "VM entry/exit") is at `regs`, with
 * VMLAUNCH when `launched` = 0, else VMRESUME; returns after the VM exit: 0 = exited (GPRs and CR2
 * stored in the block), 1 = VMfailInvalid, 2 = VMfailValid (VM_INSTRUCTION_ERROR says why).
 */
@external("hw", "vmrun") export declare function hw_vmrun(regs: usize, launched: u32): u32;
/** Writes this CPU's host-state snapshot (src/vmx/host-state.ts, HostState layout) at `out`. */
@external("hw", "host_state") export declare function hw_host_state(out: usize): void;

// ---- extended control registers (SDM Vol. 2D XGETBV / XSETBV) -----------------------------------
@external("hw", "xgetbv") export declare function hw_xgetbv(index: u32): u64;
@external("hw", "xsetbv") export declare function hw_xsetbv(index: u32, value: u64): void;

// ---- embedded guest images ---------------------------------------------------------------------
/**
 * Address of `guest_images_count` (dq) in build/guests/guests.o, followed by `guest_images`:
 * count × { dq name (NUL-terminated string), dq data, dq size } (src/vmm/guest-images.ts).
 */
@external("hw", "guest_images") export declare function hw_guest_images(): u64;

// ---- guest extended state (SDM Vol 1 §13.7/§13.8 XSAVE/XRSTOR; Vol 2A FXSAVE/FXRSTOR) -----------
/** XSAVE of every XCR0-enabled component to the 64-byte aligned area at `area` (CR4.OSXSAVE = 1). */
@external("hw", "xsave") export declare function hw_xsave(area: usize): void;
/** XRSTOR of every XCR0-enabled component (those absent from the area's XSTATE_BV are initialized). */
@external("hw", "xrstor") export declare function hw_xrstor(area: usize): void;
/** FXSAVE (x87 + SSE, 512 bytes, 16-byte aligned) for CPUs without XSAVE. */
@external("hw", "fxsave") export declare function hw_fxsave(area: usize): void;
@external("hw", "fxrstor") export declare function hw_fxrstor(area: usize): void;
/**
 * 1 when XSAVEC stores the AVX component at its SDM offset (Vol 1 §13.4.3), else 0; `area`: 1 KiB
 * scratch, 64-byte aligned. Needs CR4.OSXSAVE and XSAVE/AVX/XSAVEC; sets XCR0 = 7 for the test
 * and restores it, leaves YMM registers zero (src/vmm/xsavec-layout.ts).
 */
@external("hw", "xsavec_probe") export declare function hw_xsavec_probe(area: usize): u32;

// ---- debug registers (SDM Vol. 3B §18.2) --------------------------------------------------------
/** MOV from DR`n`, n in {0, 1, 2, 3, 6}; 0 for any other n. */
@external("hw", "read_dr") export declare function hw_read_dr(n: u32): u64;
/** MOV to DR`n`, n in {0, 1, 2, 3, 6}; nothing for any other n. */
@external("hw", "write_dr") export declare function hw_write_dr(n: u32, value: u64): void;
