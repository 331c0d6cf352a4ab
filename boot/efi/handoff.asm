; handoff.asm — leaving the firmware: ExitBootServices() and the jump to _start64.
;
; UEFI spec §7.4 (EFI_BOOT_SERVICES.ExitBootServices): the MapKey must be that of the
; current memory map; if it is not, the call fails with EFI_INVALID_PARAMETER and the
; loader must call GetMemoryMap() again and retry. After the first call, even a
; failed one, the firmware may have partly shut down, and only GetMemoryMap() and
; ExitBootServices() may be used. Events signalled by the first attempt (the firmware
; tears down timers, its ExitBootServices notifications allocate) are why a retry is
; needed at all. The information block is rebuilt each time, so the map handed to the
; hypervisor is exactly the map whose key was accepted.
BITS 64
default rel
%include "uefi.inc"

%ifndef START64
  %error "START64 (address of the image's _start64) is not defined"
%endif

extern efi_boot_services, efi_image_handle
extern mmap_fetch, mmap_key
extern mb2_build

global handoff, handoff_exit_attempted

MULTIBOOT2_BOOTLOADER_MAGIC equ 0x36D76289   ; multiboot2 spec §3.2, in eax / here rdi
MAX_ATTEMPTS equ 8

section .text

; handoff(rcx = multiboot2 information block, below 4 GiB). Does not return when
; ExitBootServices succeeds; otherwise returns its (or GetMemoryMap's) EFI_STATUS,
; with handoff_exit_attempted set once ExitBootServices has been called at all.
handoff:
    push rbx
    push rsi
    sub rsp, 40
    mov rbx, rcx
    mov esi, MAX_ATTEMPTS
.attempt:
    call mmap_fetch
    test rax, rax
    jnz .failed
    mov rcx, rbx
    call mb2_build
    mov byte [handoff_exit_attempted], 1
    mov rcx, [efi_image_handle]
    mov rdx, [mmap_key]
    mov rax, [efi_boot_services]
    call [rax + BS_EXIT_BOOT_SERVICES]
    test rax, rax
    jz .start
    mov rcx, EFI_INVALID_PARAMETER      ; stale map key: fetch the map again
    cmp rax, rcx
    jne .failed
    dec esi
    jnz .attempt
.failed:
    add rsp, 40
    pop rsi
    pop rbx
    ret

.start:
    ; The machine is ours. The _start64 contract (docs/native-abi.md): interrupts off,
    ; paging on with the image identity-mapped (the firmware's identity map, §2.3.4),
    ; rdi = multiboot2 magic, rsi = information block; it loads its own GDT, page
    ; tables and stack, so this stack and the firmware's tables may be reused.
    cli
    mov edi, MULTIBOOT2_BOOTLOADER_MAGIC
    mov esi, ebx                        ; below 4 GiB (mb2_alloc), zero-extended
    mov rax, START64
    jmp rax

section .bss
handoff_exit_attempted: resb 1
