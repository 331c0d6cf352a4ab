; memmap.asm — the firmware memory map: fetching it (GetMemoryMap, UEFI spec §7.2.3),
; explaining what occupies a range, checking that a range will be free RAM once boot
; services are gone, and converting it to multiboot2 memory map entries.
BITS 64
default rel
%include "uefi.inc"

extern efi_boot_services
extern con_puts, con_hex, con_memtype

global mmap_init, mmap_fetch, mmap_release, mmap_describe_range, mmap_check_available
global mmap_to_mb2
global mmap_buf, mmap_cap, mmap_size, mmap_key, mmap_desc_size, mmap_desc_version

; Descriptors of room beyond what GetMemoryMap reports when the buffer is sized: the
; allocations made after that (this buffer, the image's pages, the information block)
; split free ranges, so the final map has more entries than the first (§7.2.3 notes
; the buffer allocation itself may grow the map).
SLACK_DESCRIPTORS equ 64

; Multiboot2 memory types (spec §3.6.8): 1 available RAM, 3 ACPI information
; (reclaimable), 4 reserved but preserved on hibernation (ACPI NVS), 5 defective RAM;
; any other value is reserved.
MB2_AVAILABLE equ 1
MB2_RESERVED  equ 2

section .text

; mmap_init() -> rax = EFI_STATUS. Sizes and allocates the buffer (pool, EfiLoaderData),
; then fetches the map into it.
mmap_init:
    sub rsp, 56                         ; shadow + 5th argument, aligned
    mov qword [mmap_size], 0
    lea rcx, [mmap_size]
    xor edx, edx
    lea r8, [mmap_key]
    lea r9, [mmap_desc_size]
    lea rax, [mmap_desc_version]
    mov [rsp + 32], rax
    mov rax, [efi_boot_services]
    call [rax + BS_GET_MEMORY_MAP]
    mov rcx, EFI_BUFFER_TOO_SMALL       ; the expected answer for an empty buffer
    cmp rax, rcx
    jne .done
    mov rax, [mmap_desc_size]
    imul rax, rax, SLACK_DESCRIPTORS
    add rax, [mmap_size]
    mov [mmap_cap], rax
    mov ecx, EFI_LOADER_DATA
    mov rdx, rax
    lea r8, [mmap_buf]
    mov rax, [efi_boot_services]
    call [rax + BS_ALLOCATE_POOL]
    test rax, rax
    jnz .done
    call mmap_fetch
.done:
    add rsp, 56
    ret

; mmap_fetch() -> rax = EFI_STATUS; refreshes mmap_size / mmap_key / the buffer.
; Calls GetMemoryMap only, so it is allowed after a failed ExitBootServices() (§7.4).
mmap_fetch:
    sub rsp, 56
    mov rax, [mmap_cap]
    mov [mmap_size], rax
    lea rcx, [mmap_size]
    mov rdx, [mmap_buf]
    lea r8, [mmap_key]
    lea r9, [mmap_desc_size]
    lea rax, [mmap_desc_version]
    mov [rsp + 32], rax
    mov rax, [efi_boot_services]
    call [rax + BS_GET_MEMORY_MAP]
    add rsp, 56
    ret

; mmap_release(): gives the buffer back (error paths before ExitBootServices).
mmap_release:
    sub rsp, 40
    mov rcx, [mmap_buf]
    test rcx, rcx
    jz .done
    mov qword [mmap_buf], 0
    mov rax, [efi_boot_services]
    call [rax + BS_FREE_POOL]
.done:
    add rsp, 40
    ret

; mmap_describe_range(rcx = start, rdx = end): prints one line per descriptor that
; overlaps [start, end) and is not free conventional memory, or a line saying the map
; has no RAM there at all.
mmap_describe_range:
    push rbx
    push rsi
    push rdi
    push r12
    push r13
    push r14
    push r15                            ; 7 pushes + 32 keep rsp 16-byte aligned
    sub rsp, 32
    mov r12, rcx
    mov r13, rdx
    xor r15d, r15d                      ; bytes of the range the map covers
    mov rbx, [mmap_buf]
    mov r14, rbx
    add r14, [mmap_size]
.next:
    cmp rbx, r14
    jae .summary
    mov rsi, [rbx + MD_PHYSICAL_START]
    mov rdi, [rbx + MD_NUMBER_OF_PAGES]
    shl rdi, EFI_PAGE_SHIFT
    add rdi, rsi                        ; descriptor end
    cmp rsi, r13
    jae .skip
    cmp rdi, r12
    jbe .skip
    mov rax, rdi                        ; count the overlap
    cmp rax, r13
    cmova rax, r13
    mov rcx, rsi
    cmp rcx, r12
    cmovb rcx, r12
    sub rax, rcx
    add r15, rax
    cmp dword [rbx + MD_TYPE], EFI_CONVENTIONAL
    je .skip
    lea rcx, [str_indent]
    call con_puts
    mov rcx, rsi
    call con_hex
    lea rcx, [str_dash]
    call con_puts
    mov rcx, rdi
    call con_hex
    lea rcx, [str_space]
    call con_puts
    mov ecx, [rbx + MD_TYPE]
    call con_memtype
    lea rcx, [str_crlf]
    call con_puts
.skip:
    add rbx, [mmap_desc_size]
    jmp .next
.summary:
    mov rax, r13
    sub rax, r12
    cmp r15, rax
    jae .done
    lea rcx, [str_hole]
    call con_puts
.done:
    add rsp, 32
    pop r15
    pop r14
    pop r13
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

; mmap_check_available(rcx = start, rdx = end) -> rax = 0 when every byte of
; [start, end) lies in descriptors that mmap_to_mb2 reports as available RAM (what
; is free once boot services are gone), else EFI_NOT_FOUND. Works on an unsorted map:
; repeatedly finds a descriptor that contains the first byte not yet covered.
mmap_check_available:
    push rbx
    push rsi
    mov r8, rcx                         ; first byte not yet known to be available
    lea r11, [mb2_type_of]
.find:
    cmp r8, rdx
    jae .yes
    mov rbx, [mmap_buf]
    mov rsi, rbx
    add rsi, [mmap_size]
.scan:
    cmp rbx, rsi
    jae .no
    mov eax, [rbx + MD_TYPE]
    cmp eax, EFI_MEMORY_TYPE_COUNT
    jae .skip
    cmp byte [r11 + rax], MB2_AVAILABLE
    jne .skip
    mov r9, [rbx + MD_PHYSICAL_START]
    mov r10, [rbx + MD_NUMBER_OF_PAGES]
    shl r10, EFI_PAGE_SHIFT
    add r10, r9
    cmp r8, r9
    jb .skip
    cmp r8, r10
    jae .skip
    mov r8, r10                         ; covered up to this descriptor's end
    jmp .find
.skip:
    add rbx, [mmap_desc_size]
    jmp .scan
.yes:
    xor eax, eax
    jmp .done
.no:
    mov rax, EFI_ERR | 14               ; EFI_NOT_FOUND
.done:
    pop rsi
    pop rbx
    ret

; mmap_to_mb2(rcx = destination) -> rax = bytes written. Multiboot2 memory map
; entries (spec §3.6.8: u64 base_addr, u64 length, u32 type, u32 reserved = 0),
; sorted by address and with adjacent ranges of one type merged, so a kernel can walk
; them in order. The type mapping is mb2_type_of below. Pure computation on the
; buffer: it runs between GetMemoryMap and ExitBootServices, where no firmware
; service may change the map.
mmap_to_mb2:
    push rbx
    push rsi
    push rdi
    push r12
    mov rdi, rcx                        ; end of the sorted entries so far
    mov r12, rcx
    mov rsi, [mmap_buf]
    mov rbx, rsi
    add rbx, [mmap_size]
    lea r11, [mb2_type_of]
.convert:
    cmp rsi, rbx
    jae .merge_init
    mov rdx, [rsi + MD_NUMBER_OF_PAGES]
    test rdx, rdx
    jz .next_desc
    shl rdx, EFI_PAGE_SHIFT
    mov eax, [rsi + MD_TYPE]
    mov ecx, MB2_RESERVED               ; OEM / OS-defined types: not ours to use
    cmp eax, EFI_MEMORY_TYPE_COUNT
    jae .typed
    movzx ecx, byte [r11 + rax]
.typed:
    mov rax, [rsi + MD_PHYSICAL_START]
    mov r8, rdi                         ; insertion sort: shift larger bases up
.shift:
    cmp r8, r12
    jbe .place
    cmp [r8 - 24], rax
    jbe .place
    mov r9, [r8 - 24]
    mov [r8], r9
    mov r9, [r8 - 16]
    mov [r8 + 8], r9
    mov r9, [r8 - 8]
    mov [r8 + 16], r9
    sub r8, 24
    jmp .shift
.place:
    mov [r8], rax
    mov [r8 + 8], rdx
    mov [r8 + 16], ecx
    mov dword [r8 + 20], 0
    add rdi, 24
.next_desc:
    add rsi, [mmap_desc_size]
    jmp .convert
.merge_init:
    mov rsi, r12                        ; read cursor
    mov r8, r12                         ; write cursor
.merge:
    cmp rsi, rdi
    jae .finished
    cmp r8, r12
    je .copy
    mov eax, [rsi + 16]
    cmp eax, [r8 - 24 + 16]
    jne .copy
    mov rax, [r8 - 24]
    add rax, [r8 - 16]
    cmp rax, [rsi]
    jne .copy
    mov rax, [rsi + 8]                  ; contiguous, same type: extend the last one
    add [r8 - 16], rax
    jmp .advance
.copy:
    mov rax, [rsi]
    mov [r8], rax
    mov rax, [rsi + 8]
    mov [r8 + 8], rax
    mov rax, [rsi + 16]
    mov [r8 + 16], rax
    add r8, 24
.advance:
    add rsi, 24
    jmp .merge
.finished:
    mov rax, r8
    sub rax, r12
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

section .rdata
; EFI_MEMORY_TYPE -> multiboot2 type, for the state after ExitBootServices(): loader
; and boot-services memory is then free (§7.2.1, "Memory Type Usage after
; ExitBootServices()"), as GRUB reports it. That includes the hypervisor image and
; this information block, as under GRUB: the kernel keeps its own image out of its
; allocator and reads the block before reusing memory. Runtime services memory must
; be preserved; unaccepted memory (type 15) must be accepted before use, so it is
; not offered as RAM.
mb2_type_of:
    db MB2_RESERVED                     ; EfiReservedMemoryType
    db MB2_AVAILABLE                    ; EfiLoaderCode
    db MB2_AVAILABLE                    ; EfiLoaderData
    db MB2_AVAILABLE                    ; EfiBootServicesCode
    db MB2_AVAILABLE                    ; EfiBootServicesData
    db MB2_RESERVED                     ; EfiRuntimeServicesCode
    db MB2_RESERVED                     ; EfiRuntimeServicesData
    db MB2_AVAILABLE                    ; EfiConventionalMemory
    db 5                                ; EfiUnusableMemory: defective RAM
    db 3                                ; EfiACPIReclaimMemory
    db 4                                ; EfiACPIMemoryNVS
    db MB2_RESERVED                     ; EfiMemoryMappedIO
    db MB2_RESERVED                     ; EfiMemoryMappedIOPortSpace
    db MB2_RESERVED                     ; EfiPalCode
    db MB2_RESERVED                     ; EfiPersistentMemory
    db MB2_RESERVED                     ; EfiUnacceptedMemoryType
align 2
str_indent: dw __utf16__("    "), 0
str_dash:   dw __utf16__("-"), 0
str_space:  dw __utf16__("  "), 0
str_crlf:   dw 13, 10, 0
str_hole:   dw __utf16__("    (and addresses the map does not list at all: no RAM there)"), 13, 10, 0

section .bss
alignb 8
mmap_buf:          resq 1
mmap_cap:          resq 1               ; bytes allocated at mmap_buf
mmap_size:         resq 1               ; bytes of the current map
mmap_key:          resq 1
mmap_desc_size:    resq 1
mmap_desc_version: resd 1
