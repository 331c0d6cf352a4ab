; entry32.asm -- entry from a 32-bit loader (multiboot1, multiboot2, tools/emu/mbr.asm): protected
; mode, paging off, flat segments, eax = magic, ebx = information block (multiboot 0.6.96 §3.2,
; multiboot2 §3.3). Checks for long mode, maps the first 4 GiB with 2 MiB pages (enough for the
; image, the stack and any information block, all below 4 GiB), enters IA-32e mode and continues
; at _start64 with rdi = magic, rsi = info. _start64 then builds the real map of all RAM.
; IA-32e activation order: SDM Vol. 3 §10.8.5 (PAE, CR3, EFER.LME, then CR0.PG).

%include "defs.inc"
%include "serial.inc"

extern _start64
extern cpu_stacks
extern gdt_ptr32

section .text32 progbits alloc exec nowrite align=16
BITS 32
global _start32
_start32:
    cli
    cld
    mov [entry_magic], eax
    mov [entry_info], ebx
    mov esp, cpu_stacks + STACK_SIZE    ; the boot CPU's stack (bss, zeroed by the loader)

    ; long mode present? CPUID.80000001H:EDX.LM[29] (SDM Vol. 2A, CPUID)
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb no_long_mode
    mov eax, 0x80000001
    cpuid
    bt edx, 29
    jnc no_long_mode

    call build_boot_map
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    and eax, ~(CR0_CD | CR0_NW)         ; caches on (a loader may leave them off)
    or eax, CR0_PG | CR0_PE
    mov cr0, eax                        ; IA-32e mode active, still in 32-bit compatibility code
    lgdt [gdt_ptr32]
    jmp SEL_CODE64:long_from32          ; far jump to a L=1 code segment: 64-bit mode

; 4 GiB identity map: PML4[0] -> PDPT, PDPT[0..3] -> 4 PDs, 2048 PDEs of 2 MiB.
build_boot_map:
    mov edi, boot_pml4
    mov ecx, 6 * 4096 / 4
    xor eax, eax
    rep stosd                           ; the tables are in bss, but _start32 may be re-entered
    mov dword [boot_pml4], boot_pdpt + (PTE_P | PTE_RW)
    mov edi, boot_pdpt
    mov eax, boot_pds + (PTE_P | PTE_RW)
    mov ecx, 4
.pdpte:
    mov [edi], eax
    add eax, 4096
    add edi, 8
    loop .pdpte
    mov edi, boot_pds
    mov eax, PTE_P | PTE_RW | PTE_PS
    mov ecx, 2048
.pde:
    mov [edi], eax                      ; high dword stays 0: every address is below 4 GiB
    add eax, PAGE_2M
    add edi, 8
    loop .pde
    ret

; Without long mode nothing else can run: say so on COM1 and stop.
no_long_mode:
    UART_INIT
    mov esi, str_no_lm
.next:
    lodsb
    test al, al
    jz .stop
    UART_PUTC
    jmp .next
.stop:
    UART_WAIT LSR_TEMT
.halt:
    cli
    hlt
    jmp .halt

str_no_lm: db 13, 10, "tshv boot: this CPU has no long mode (CPUID 80000001h:EDX[29]=0); stopped", 13, 10, 0

section .text
BITS 64
long_from32:
    mov edi, [rel entry_magic]
    mov esi, [rel entry_info]
    jmp _start64

section .bss
alignb 4
entry_magic: resd 1
entry_info:  resd 1
alignb 4096
boot_pml4: resb 4096
boot_pdpt: resb 4096
boot_pds:  resb 4 * 4096
