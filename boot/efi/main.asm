; main.asm — entry point of hypervisor.efi, a UEFI application (PE32+, subsystem
; EFI_APPLICATION) that boots the tshv hypervisor image embedded in it:
;
;   1. check the embedded ELF                                  (elf.asm)
;   2. read the UEFI memory map                                 (memmap.asm)
;   3. check that the range docs/native-abi.md reserves for the core's wasm data and
;      heap will be RAM once boot services are gone; the image does not load it,
;      it uses it, so no loader other than this one could tell it is missing
;   4. reserve the PT_LOAD segments' pages at p_paddr, copy, zero bss  (elf.asm)
;   5. allocate the multiboot2 information block below 4 GiB   (mb2info.asm)
;   6. ExitBootServices (with retry) and jump to _start64       (handoff.asm)
;
; Until step 6 every failure prints a message on ConOut, gives back what was
; allocated and returns an EFI error status to whoever started the application (the
; UEFI shell prints it; the boot manager moves on to the next boot option).
; A CPU without VT-x is not such a failure: the hypervisor reports that itself.
;
; Assembled with the -DHV_ELF / -DSTART64 that elf.asm and handoff.asm need
; (tools/media/mkefi.sh).
BITS 64
default rel
%include "uefi.inc"

%include "layout.inc"

%ifndef START64
  %error "START64 (address of the image's _start64) is not defined"
%endif

extern con_puts, con_hex, con_status
extern elf_check, elf_load, elf_image_start, elf_image_end
extern mmap_init, mmap_release, mmap_check_available, mmap_describe_range
extern pages_release_all
extern mb2_alloc, mb2_block
extern handoff, handoff_exit_attempted

global efi_main
global efi_image_handle, efi_system_table, efi_boot_services

section .text

; EFI_IMAGE_ENTRY_POINT (UEFI spec §4.1.1): rcx = ImageHandle, rdx = SystemTable.
efi_main:
    push rbx
    push rsi
    push rdi
    sub rsp, 32
    mov [efi_image_handle], rcx
    mov [efi_system_table], rdx
    mov rax, [rdx + ST_BOOT_SERVICES]
    mov [efi_boot_services], rax

    lea rcx, [msg_banner]
    call con_puts

    call elf_check
    test rax, rax
    jnz .return                         ; nothing allocated yet; message printed

    call mmap_init
    test rax, rax
    jz .have_map
    mov rbx, rax
    lea rcx, [msg_getmap]
    call con_puts
    jmp .print_status_and_clean

.have_map:
    mov rcx, WASM_REGION_START
    mov rdx, WASM_REGION_END
    call mmap_check_available
    test rax, rax
    jz .region_ok
    mov rbx, rax
    lea rcx, [msg_region]
    call con_puts
    mov rcx, WASM_REGION_START
    call con_hex
    lea rcx, [msg_dash]
    call con_puts
    mov rcx, WASM_REGION_END
    call con_hex
    lea rcx, [msg_region2]
    call con_puts
    mov rcx, WASM_REGION_START
    mov rdx, WASM_REGION_END
    call mmap_describe_range
    jmp .clean

.region_ok:
    call elf_load
    mov rbx, rax
    test rax, rax
    jnz .clean                          ; pages_reserve printed the details

    call mb2_alloc
    test rax, rax
    jz .have_block
    mov rbx, rax
    lea rcx, [msg_block]
    call con_puts
    jmp .print_status_and_clean

.have_block:
    lea rcx, [msg_loaded]
    call con_puts
    mov rcx, [elf_image_start]
    call con_hex
    lea rcx, [msg_dash]
    call con_puts
    mov rcx, [elf_image_end]
    call con_hex
    lea rcx, [msg_info]
    call con_puts
    mov rcx, [mb2_block]
    call con_hex
    lea rcx, [msg_crlf]
    call con_puts
    lea rcx, [msg_exiting]
    call con_puts
    mov rcx, START64
    call con_hex
    lea rcx, [msg_crlf]
    call con_puts

    mov rcx, [mb2_block]
    call handoff                        ; returns only on failure
    mov rbx, rax
    cmp byte [handoff_exit_attempted], 0
    jne .exit_failed
    lea rcx, [msg_getmap]
    call con_puts
    jmp .print_status_and_clean

.exit_failed:
    ; After a failed ExitBootServices the firmware may be partly shut down (§7.4):
    ; FreePages / FreePool are off limits, so report (best effort) and return.
    lea rcx, [msg_exit]
    call con_puts
    mov rcx, rbx
    call con_status
    lea rcx, [msg_crlf]
    call con_puts
    mov rax, rbx
    jmp .return

.print_status_and_clean:
    mov rcx, rbx
    call con_status
    lea rcx, [msg_crlf]
    call con_puts
.clean:
    call pages_release_all
    call mmap_release
    mov rax, rbx
.return:
    add rsp, 32
    pop rdi
    pop rsi
    pop rbx
    ret

section .rdata
align 2
msg_banner:  dw __utf16__("tshv-efi: UEFI loader for the tshv hypervisor"), 13, 10, 0
msg_getmap:  dw __utf16__("tshv-efi: GetMemoryMap failed: "), 0
msg_region:  dw __utf16__("tshv-efi: physical memory "), 0
msg_region2: dw __utf16__(" (the hypervisor's wasm data and heap, docs/native-abi.md) is not all RAM that is free after boot; the firmware's memory map has there:"), 13, 10, 0
msg_block:   dw __utf16__("tshv-efi: cannot allocate the multiboot2 information block below 4 GiB: "), 0
msg_loaded:  dw __utf16__("tshv-efi: image loaded at "), 0
msg_info:    dw __utf16__(", multiboot2 information at "), 0
msg_exiting: dw __utf16__("tshv-efi: exiting boot services; starting the hypervisor at _start64 = "), 0
msg_exit:    dw __utf16__("tshv-efi: ExitBootServices failed: "), 0
msg_dash:    dw __utf16__("-"), 0
msg_crlf:    dw 13, 10, 0

section .bss
alignb 8
efi_image_handle:  resq 1
efi_system_table:  resq 1
efi_boot_services: resq 1
