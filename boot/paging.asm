; paging.asm -- the identity map of all RAM that the stub hands to the core (native-abi.md: wasm
; address A is physical address A). Built in long mode on tables in .bss, so the same code serves
; the 32-bit loaders (after entry32's bootstrap map) and _start64 (on the caller's map).
;
; Extent: max(4 GiB, RAM top rounded up to 1 GiB). The first 4 GiB are always mapped because the
; LAPIC, IOAPIC and 32-bit PCI BARs live there whatever the RAM size.
; Page size: 1 GiB when CPUID.80000001H:EDX.Page1GB[26] = 1 (SDM Vol. 3 §4.1.4), else 2 MiB.
; Entries: SDM Vol. 3 §4.5.4, tables 4-15 (PML4E), 4-16 (PDPTE mapping 1 GiB), 4-17 (PDPTE -> PD),
; 4-18 (PDE mapping 2 MiB). PAT/PCD/PWT are 0 (write-back); the firmware's MTRRs make MMIO ranges
; uncacheable (§12.5.2.2: the stricter of MTRR and PAT type wins for UC).

%include "defs.inc"

BITS 64
section .text

; paging_build -- rdi = end of the highest usable RAM (0 = unknown). Writes the tables and returns
; rax = the PML4's physical address for CR3. Records map_end / map_page_size / map_truncated.
; Clobbers rcx, rdx, rsi, rdi, r8-r11.
global paging_build
paging_build:
    mov [rel map_ram_top], rdi
    ; r8 = GiB to map
    lea r8, [rdi + PAGE_1G - 1]
    shr r8, 30
    mov eax, MIN_MAP_GIB
    cmp r8, rax
    cmovb r8, rax
    ; page size from CPUID (rbx is callee-saved; cpuid writes it)
    push rbx
    mov eax, 0x80000000
    cpuid
    xor r9d, r9d                        ; r9 = 1 when 1 GiB pages are available
    cmp eax, 0x80000001
    jb .have_size
    mov eax, 0x80000001
    cpuid
    bt edx, 26
    setc r9b
.have_size:
    pop rbx
    mov r10d, MAP_PDS_2M                ; capacity in GiB
    test r9d, r9d
    jz .cap
    mov r10d, MAP_PDPTS_1G * 512
.cap:
    mov byte [rel map_truncated], 0
    cmp r8, r10
    jbe .zero
    mov r8, r10
    mov byte [rel map_truncated], 1
.zero:
    ; the PML4 and every PDPT start empty; PDs are written in full for the range they cover
    lea rdi, [rel map_pml4]
    mov ecx, (1 + MAP_PDPTS_1G) * 4096 / 8
    xor eax, eax
    rep stosq
    mov rax, r8
    shl rax, 30
    mov [rel map_end], rax
    test r9d, r9d
    jz .map_2m

    ; ---- 1 GiB pages: PDPT entries map directly; PML4E i -> PDPT i
    mov qword [rel map_page_size], PAGE_1G
    lea rdi, [rel map_pdpts]
    xor ecx, ecx                        ; GiB index
.gib:
    mov rax, rcx
    shl rax, 30
    or rax, PTE_P | PTE_RW | PTE_PS
    mov [rdi + rcx*8], rax
    inc rcx
    cmp rcx, r8
    jb .gib
    lea rdx, [r8 + 511]
    shr rdx, 9                          ; PDPTs in use
    jmp .link_pdpts

    ; ---- 2 MiB pages: PDPTE g -> PD g; PD entries map 2 MiB each
.map_2m:
    mov qword [rel map_page_size], PAGE_2M
    lea rdi, [rel map_pds]
    mov rcx, r8
    shl rcx, 9                          ; 512 entries per GiB
    xor edx, edx
.pde:
    mov rax, rdx
    shl rax, 21
    or rax, PTE_P | PTE_RW | PTE_PS
    mov [rdi + rdx*8], rax
    inc rdx
    cmp rdx, rcx
    jb .pde
    lea rsi, [rel map_pdpts]
    lea rax, [rel map_pds]
    or rax, PTE_P | PTE_RW
    xor ecx, ecx
.pdpte:
    mov [rsi + rcx*8], rax
    add rax, 4096
    inc rcx
    cmp rcx, r8
    jb .pdpte
    mov edx, 1                          ; one PDPT in use

.link_pdpts:                            ; rdx = PDPTs in use
    lea rsi, [rel map_pml4]
    lea rax, [rel map_pdpts]
    or rax, PTE_P | PTE_RW
    xor ecx, ecx
.pml4e:
    mov [rsi + rcx*8], rax
    add rax, 4096
    inc rcx
    cmp rcx, rdx
    jb .pml4e
    lea rax, [rel map_pml4]
    ret

%if MAP_PDS_2M > 512
%error "the 2 MiB path links all PDs from one PDPT: keep MAP_PDS_2M <= 512"
%endif

section .data
align 8
global map_end, map_page_size, map_ram_top, map_truncated
map_end:        dq 0                    ; bytes identity-mapped from physical 0
map_page_size:  dq 0
map_ram_top:    dq 0                    ; what the loader reported (0 = unknown)
map_truncated:  db 0                    ; 1 when RAM extends past what the tables can map

section .bss
alignb 4096
map_pml4:  resb 4096
map_pdpts: resb 4096 * MAP_PDPTS_1G     ; must follow map_pml4: paging_build zeroes both at once
map_pds:   resb 4096 * MAP_PDS_2M
