; elf.asm — the hypervisor image, embedded at build time, and its loader: checks the
; ELF64 headers (System V gABI, "ELF-64 Object File Format"), reserves each PT_LOAD
; segment's pages at its p_paddr, copies the file bytes and zeroes the rest (bss).
;
; Assembled with -DHV_ELF='"path/to/hypervisor.elf"' and -DSTART64=<address of the
; image's _start64>, which the build reads with nm (mk/media.mk).
BITS 64
default rel
%include "uefi.inc"
%include "layout.inc"

%ifndef HV_ELF
  %error "HV_ELF (path of the image to embed) is not defined"
%endif
%ifndef START64
  %error "START64 (address of the image's _start64) is not defined"
%endif

extern con_puts, con_hex
extern pages_reserve

global elf_check, elf_load, elf_image_start, elf_image_end

; ELF64 header and program header fields used here.
%define E_TYPE          16              ; u16, ET_EXEC = 2
%define E_MACHINE       18              ; u16, EM_X86_64 = 62
%define E_PHOFF         32              ; u64
%define E_PHENTSIZE     54              ; u16
%define E_PHNUM         56              ; u16
%define EHDR_SIZE       64
%define P_TYPE           0              ; u32, PT_LOAD = 1
%define P_FLAGS          4              ; u32, PF_X = 1
%define P_OFFSET         8
%define P_PADDR         24
%define P_FILESZ        32
%define P_MEMSZ         40
%define PHDR_SIZE       56
%define PT_LOAD          1
%define PF_X             1

section .text

; elf_check() -> rax = EFI_STATUS. EFI_LOAD_ERROR, with a message naming the
; problem, unless the image is an ELF64 little-endian x86-64 executable whose program
; headers and PT_LOAD segments lie inside the file, are in ascending p_paddr order
; (gABI: "sorted on p_vaddr"; pages are reserved in one pass relying on it) and put
; START64 inside an executable segment.
elf_check:
    push rbx
    push rsi
    push rdi
    push r12
    sub rsp, 40
    lea rbx, [hv_elf]
    lea rdx, [why_header]
    cmp qword [hv_elf_size], EHDR_SIZE
    jb .bad
    cmp dword [rbx], 0x464C457F         ; "\x7fELF"
    jne .bad
    cmp word [rbx + 4], 0x0102          ; ELFCLASS64, ELFDATA2LSB
    jne .bad
    cmp word [rbx + E_TYPE], 2
    jne .bad
    cmp word [rbx + E_MACHINE], 62
    jne .bad
    lea rdx, [why_phdrs]
    cmp word [rbx + E_PHENTSIZE], PHDR_SIZE
    jne .bad
    movzx ecx, word [rbx + E_PHNUM]
    imul rcx, rcx, PHDR_SIZE
    add rcx, [rbx + E_PHOFF]
    jc .bad
    cmp rcx, [hv_elf_size]
    ja .bad
    mov rsi, [rbx + E_PHOFF]
    add rsi, rbx                        ; program header cursor
    movzx edi, word [rbx + E_PHNUM]
    xor r12d, r12d                      ; p_paddr of the previous PT_LOAD
    xor r8d, r8d                        ; set when START64 is in an executable segment
.phdr:
    test edi, edi
    jz .phdrs_done
    cmp dword [rsi + P_TYPE], PT_LOAD
    jne .next
    lea rdx, [why_segment]
    mov rax, [rsi + P_OFFSET]
    add rax, [rsi + P_FILESZ]
    jc .bad
    cmp rax, [hv_elf_size]
    ja .bad
    mov rax, [rsi + P_FILESZ]
    cmp rax, [rsi + P_MEMSZ]
    ja .bad
    mov rax, [rsi + P_PADDR]
    add rax, [rsi + P_MEMSZ]
    jc .bad
    lea rdx, [why_order]
    mov rcx, [rsi + P_PADDR]
    cmp rcx, r12
    jb .bad
    mov r12, rcx
    test dword [rsi + P_FLAGS], PF_X
    jz .next
    mov rcx, START64
    cmp rcx, [rsi + P_PADDR]
    jb .next
    cmp rcx, rax
    jae .next
    mov r8d, 1
.next:
    add rsi, PHDR_SIZE
    dec edi
    jmp .phdr
.phdrs_done:
    lea rdx, [why_entry]
    test r8d, r8d
    jz .bad
    xor eax, eax
    jmp .done
.bad:
    mov rbx, rdx
    lea rcx, [msg_bad]
    call con_puts
    mov rcx, rbx
    call con_puts
    mov rax, EFI_LOAD_ERROR
.done:
    add rsp, 40
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

; elf_load() -> rax = EFI_STATUS. Call after elf_check. Segments are reserved as
; EfiLoaderCode, not EfiLoaderData: firmware may map loader data non-executable
; before ExitBootServices (EDK2/OVMF's PcdDxeNxMemoryProtectionPolicy sets NX on
; EfiLoaderData), and _start64 runs on the firmware's page tables until it loads its
; own. Two segments may share a page; since they are in ascending order, each
; reservation starts where the previous one ended.
elf_load:
    push rbx
    push rsi
    push rdi
    push r12
    push r13
    push r14
    sub rsp, 40
    lea rbx, [hv_elf]
    mov r12, [rbx + E_PHOFF]
    add r12, rbx                        ; program header cursor
    movzx r13d, word [rbx + E_PHNUM]
    xor r14d, r14d                      ; end of the pages reserved so far
    mov qword [elf_image_start], -1
.phdr:
    test r13d, r13d
    jz .loaded
    cmp dword [r12 + P_TYPE], PT_LOAD
    jne .next
    cmp qword [r12 + P_MEMSZ], 0
    je .next
    ; The wasm data + heap segment (layout.inc): no file bytes, inside the region main.asm has
    ; already checked is RAM free after ExitBootServices. The firmware may still be using it now
    ; (OVMF keeps boot-services data there), so neither reserve nor touch it: _start64 zeroes it.
    cmp qword [r12 + P_FILESZ], 0
    jne .load_it
    cmp qword [r12 + P_PADDR], WASM_REGION_START
    jb .load_it
    mov rax, [r12 + P_PADDR]
    add rax, [r12 + P_MEMSZ]
    cmp rax, WASM_REGION_END
    jbe .next
.load_it:
    mov rcx, [r12 + P_PADDR]
    and rcx, -4096                      ; first page
    mov rdx, [r12 + P_PADDR]
    add rdx, [r12 + P_MEMSZ]
    add rdx, 4095
    and rdx, -4096                      ; end of the last page
    cmp rcx, [elf_image_start]
    jae .low_known
    mov [elf_image_start], rcx
.low_known:
    cmp rcx, r14                        ; skip a page the previous segment holds
    cmovb rcx, r14
    cmp rcx, rdx
    jae .reserved
    mov r14, rdx
    sub rdx, rcx
    shr rdx, EFI_PAGE_SHIFT
    mov r8d, EFI_LOADER_CODE
    call pages_reserve
    test rax, rax
    jnz .done                           ; pages_reserve said what went wrong
.reserved:
    mov rsi, [r12 + P_OFFSET]
    add rsi, rbx
    mov rdi, [r12 + P_PADDR]            ; UEFI identity-maps memory (§2.3.4), so
    mov rcx, [r12 + P_FILESZ]           ; physical addresses are usable as is
    rep movsb
    mov rcx, [r12 + P_MEMSZ]
    sub rcx, [r12 + P_FILESZ]
    xor eax, eax
    rep stosb                           ; bss
.next:
    add r12, PHDR_SIZE
    dec r13d
    jmp .phdr
.loaded:
    mov [elf_image_end], r14
    xor eax, eax
.done:
    add rsp, 40
    pop r14
    pop r13
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

section .rdata
align 2
msg_bad:     dw __utf16__("tshv-efi: the embedded hypervisor image cannot be loaded: "), 0
why_header:  dw __utf16__("not an ELF64 little-endian x86-64 executable (ET_EXEC)"), 13, 10, 0
why_phdrs:   dw __utf16__("program headers missing, malformed or beyond the end of the file"), 13, 10, 0
why_segment: dw __utf16__("a PT_LOAD segment lies beyond the end of the file or has p_filesz > p_memsz"), 13, 10, 0
why_order:   dw __utf16__("PT_LOAD segments are not in ascending address order"), 13, 10, 0
why_entry:   dw __utf16__("_start64 is not inside an executable PT_LOAD segment"), 13, 10, 0

; The image itself. 16-byte alignment is for the copy's speed only: fields are read
; with unaligned loads, which x86-64 allows.
align 16
hv_elf:
    incbin HV_ELF
hv_elf_end:
align 8
hv_elf_size: dq hv_elf_end - hv_elf

section .bss
alignb 8
elf_image_start: resq 1                 ; lowest page of the image, for the log line
elf_image_end:   resq 1                 ; end of its highest page
