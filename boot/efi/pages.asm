; pages.asm — page reservations at fixed physical addresses, remembered so that an
; error before ExitBootServices() can give them back. Without that, a failed start
; from the UEFI shell would leave the image's range allocated, and every later
; attempt in the same boot would fail with "in use".
;
; pages_reserve uses AllocatePages(AllocateAddress, ...) (UEFI spec §7.2.1): the firmware
; either hands over exactly [base, base + pages * 4 KiB) or fails with EFI_NOT_FOUND
; when any page of it is not free conventional memory.
BITS 64
default rel
%include "uefi.inc"

extern efi_boot_services
extern con_puts, con_hex, con_status, con_memtype
extern mmap_describe_range

global pages_reserve, pages_alloc_below_4g, pages_release_all

MAX_RANGES equ 32

section .text

; pages_reserve(rcx = base, 4 KiB aligned; rdx = page count; r8d = EFI_MEMORY_TYPE)
;   -> rax = EFI_STATUS. On failure prints which range could not be had, why, and
;   what the firmware's memory map says occupies it.
pages_reserve:
    push rbx
    push rsi
    push rdi
    sub rsp, 48                         ; shadow + the EFI_PHYSICAL_ADDRESS in/out slot
    mov rbx, rcx
    mov rsi, rdx
    mov eax, [range_count]
    cmp eax, MAX_RANGES
    jae .too_many
    mov [rsp + 32], rcx                 ; *Memory: the address wanted
    mov ecx, ALLOCATE_ADDRESS
    mov edx, r8d
    mov r8, rsi
    lea r9, [rsp + 32]
    mov rax, [efi_boot_services]
    call [rax + BS_ALLOCATE_PAGES]
    test rax, rax
    jnz .failed
    mov eax, [range_count]
    shl eax, 4
    lea rcx, [ranges]
    mov [rcx + rax], rbx
    mov [rcx + rax + 8], rsi
    inc dword [range_count]
    xor eax, eax
    jmp .done
.too_many:
    mov rax, EFI_OUT_OF_RESOURCES
.failed:
    mov rdi, rax
    lea rcx, [msg_cannot]
    call con_puts
    mov rcx, rbx
    call con_hex
    lea rcx, [msg_dash]
    call con_puts
    mov rcx, rsi
    shl rcx, EFI_PAGE_SHIFT
    add rcx, rbx
    call con_hex
    lea rcx, [msg_status]
    call con_puts
    mov rcx, rdi
    call con_status
    lea rcx, [msg_crlf]
    call con_puts
    lea rcx, [msg_occupied]
    call con_puts
    mov rcx, rbx                        ; list what the firmware has there
    mov rdx, rsi
    shl rdx, EFI_PAGE_SHIFT
    add rdx, rbx
    call mmap_describe_range
    mov rax, rdi
.done:
    add rsp, 48
    pop rdi
    pop rsi
    pop rbx
    ret

; pages_alloc_below_4g(rcx = page count) -> rax = EFI_STATUS, rdx = address.
; AllocatePages(AllocateMaxAddress, EfiLoaderData, ...) with the highest allowed
; address 0xFFFFFFFF (§7.2.1: the range must end at or below it).
pages_alloc_below_4g:
    push rbx
    push rsi
    sub rsp, 56
    mov rsi, rcx
    xor edx, edx
    mov eax, [range_count]
    cmp eax, MAX_RANGES
    jae .too_many
    mov eax, 0xFFFFFFFF
    mov [rsp + 32], rax
    mov ecx, ALLOCATE_MAX_ADDRESS
    mov edx, EFI_LOADER_DATA
    mov r8, rsi
    lea r9, [rsp + 32]
    mov rax, [efi_boot_services]
    call [rax + BS_ALLOCATE_PAGES]
    mov rdx, [rsp + 32]
    test rax, rax
    jnz .done
    mov ebx, [range_count]
    shl ebx, 4
    lea rcx, [ranges]
    mov [rcx + rbx], rdx
    mov [rcx + rbx + 8], rsi
    inc dword [range_count]
    jmp .done
.too_many:
    mov rax, EFI_OUT_OF_RESOURCES
.done:
    add rsp, 56
    pop rsi
    pop rbx
    ret

; pages_release_all(): FreePages every range pages_reserve obtained (newest first).
pages_release_all:
    push rbx
    sub rsp, 32
.next:
    mov ebx, [range_count]
    test ebx, ebx
    jz .done
    dec ebx
    mov [range_count], ebx
    shl ebx, 4
    lea rax, [ranges]
    mov rcx, [rax + rbx]
    mov rdx, [rax + rbx + 8]
    mov rax, [efi_boot_services]
    call [rax + BS_FREE_PAGES]
    jmp .next
.done:
    add rsp, 32
    pop rbx
    ret

section .rdata
align 2
msg_cannot:   dw __utf16__("tshv-efi: cannot reserve physical memory "), 0
msg_dash:     dw __utf16__("-"), 0
msg_status:   dw __utf16__(" for the hypervisor image: AllocatePages(AllocateAddress) returned "), 0
msg_crlf:     dw 13, 10, 0
msg_occupied: dw __utf16__("tshv-efi: the firmware's memory map has there (anything but EfiConventionalMemory is in use):"), 13, 10, 0

section .bss
alignb 8
ranges:      resq 2 * MAX_RANGES         ; (base, pages) pairs
range_count: resd 1
