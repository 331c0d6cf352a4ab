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
