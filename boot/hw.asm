; hw.asm -- the hw_* intrinsics the compiled core imports (native-abi.md, table "hw_* intrinsics";
; declared once in src/hw.ts). System V AMD64: args rdi, rsi, rdx; result rax. i32 arguments come
; zero-extended, but each routine reads only the 32 bits it owns, so it never relies on that.
; Pointers are wasm addresses, which on bare metal are physical addresses (membase 0).

%include "defs.inc"

extern console_drain, console_puts, console_putdec
extern __image_end

BITS 64
section .text

; ---- port I/O (port: u32, value: u32) / (port: u32): u32 -----------------------------------
global hw_outb, hw_outw, hw_outl, hw_inb, hw_inw, hw_inl
hw_outb:
    mov edx, edi
    mov eax, esi
    out dx, al
    ret
hw_outw:
    mov edx, edi
    mov eax, esi
    out dx, ax
    ret
hw_outl:
    mov edx, edi
    mov eax, esi
    out dx, eax
    ret
hw_inb:
    mov edx, edi
    xor eax, eax
    in al, dx
    ret
hw_inw:
    mov edx, edi
    xor eax, eax
    in ax, dx
    ret
hw_inl:
    mov edx, edi
    in eax, dx                          ; writing eax zero-extends into rax
    ret

; ---- hw_cpuid(leaf: u32, subleaf: u32, out: usize): eax, ebx, ecx, edx as 4 x u32 at out ------
global hw_cpuid
hw_cpuid:
    push rbx                            ; callee-saved, and CPUID writes it
    mov r8d, edx
    mov eax, edi
    mov ecx, esi
    cpuid
    mov [r8], eax
    mov [r8 + 4], ebx
    mov [r8 + 8], ecx
    mov [r8 + 12], edx
    pop rbx
    ret

; ---- MSRs (SDM Vol. 2B RDMSR/WRMSR: ecx = index, edx:eax = value) ----------------------------
global hw_rdmsr, hw_rdmsr_safe, hw_wrmsr
hw_rdmsr:
    mov ecx, edi
    rdmsr
    shl rdx, 32
    or rax, rdx
    ret

; hw_rdmsr_safe(msr: u32, out: usize): u32 -- 1 and the value at out, or 0 when RDMSR raised #GP
; (an MSR this CPU does not implement). The #GP handler (idt.asm) finds .read in the .fixup table
; and resumes at .fault instead of reporting the exception.
hw_rdmsr_safe:
    mov ecx, edi
    mov r8d, esi
.read:
    rdmsr
    mov [r8], eax
    mov [r8 + 4], edx
    mov eax, 1
    ret
.fault:
    xor eax, eax
    ret

section .fixup progbits alloc noexec nowrite align=8
    dq hw_rdmsr_safe.read, hw_rdmsr_safe.fault  ; { faulting rip, resume rip }
section .text

hw_wrmsr:
    mov ecx, edi
    mov eax, esi
    mov rdx, rsi
    shr rdx, 32
    wrmsr
    ret

; ---- control registers ------------------------------------------------------------------------
global hw_read_cr0, hw_read_cr3, hw_read_cr4, hw_write_cr0, hw_write_cr4
hw_read_cr0:
    mov rax, cr0
    ret
hw_read_cr3:
    mov rax, cr3
    ret
hw_read_cr4:
    mov rax, cr4
    ret
hw_write_cr0:
    mov cr0, rdi
    ret
hw_write_cr4:
    mov cr4, rdi
    ret

; ---- time, spinning, stopping -----------------------------------------------------------------
global hw_rdtsc, hw_pause, hw_halt
hw_rdtsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

hw_pause:
    pause
    ret

; hw_halt -- never returns. Says "boot: CPU n halted" (the one line every stop of a CPU ends
; with, so emulator runners know the run is over: Bochs idles forever in HLT), waits for the UART
; to send its last byte (Bochs' file-backed com1 loses what is still in the UART when the run is
; stopped), then CLI; HLT forever (an NMI or SMI can wake HLT, hence the loop).
hw_halt:
    cli
    and rsp, -16                        ; reached by jmp from exception and trap paths too
    lea rsi, [rel str_halted]
    call console_puts
    mov eax, [gs:PCPU_INDEX]
    call console_putdec
    lea rsi, [rel str_halted_end]
    call console_puts
    call console_drain
.stop:
    hlt
    jmp .stop

; ---- this CPU, this image ---------------------------------------------------------------------
global hw_cpu_index, hw_image_end
hw_cpu_index:
    mov eax, [gs:PCPU_INDEX]
    ret

hw_image_end:
    lea rax, [rel __image_end]          ; first byte after .bss (linker.ld, page-aligned)
    ret

section .rodata
str_halted:     db "boot: CPU ", 0
str_halted_end: db " halted", 10, 0
