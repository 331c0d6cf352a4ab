; mb2info.asm — the multiboot2 boot information block handed to _start64 (multiboot2
; spec §3.6). Layout: u32 total_size, u32 reserved, then tags, each starting on an
; 8-byte boundary with u32 type, u32 size (size excludes the padding), ending with
; a type 0 tag of size 8. The tags written:
;   2  boot loader name (§3.6.5)            "tshv-efi"
;   12 EFI 64-bit system table pointer (§3.6.11)
;   14 / 15 ACPI old / new RSDP (§3.6.13/14), copied from the EFI configuration table,
;      since a UEFI machine need not have an RSDP in the BIOS area a kernel scans
;   6  memory map (§3.6.8), converted from the UEFI map by memmap.asm
;   17 EFI memory map (§3.6.15), the UEFI map as the firmware gave it
; No "EFI boot services not terminated" tag (18): the loader exits boot services.
BITS 64
default rel
%include "uefi.inc"

extern efi_system_table
extern mmap_buf, mmap_cap, mmap_size, mmap_desc_size, mmap_desc_version
extern mmap_to_mb2
extern pages_alloc_below_4g

global mb2_alloc, mb2_build, mb2_block

%define TAG_END          0
%define TAG_LOADER_NAME  2
%define TAG_MMAP         6
%define TAG_EFI64        12
%define TAG_ACPI_OLD     14
%define TAG_ACPI_NEW     15
%define TAG_EFI_MMAP     17
%define MMAP_ENTRY_SIZE  24
%define RSDP_V1_SIZE     20             ; ACPI 1.0 RSDP
%define RSDP_V2_SIZE     36             ; ACPI 2.0+ RSDP (XSDT address, extended checksum)

section .text

; mb2_alloc() -> rax = EFI_STATUS; mb2_block = a block below 4 GiB (the _start64
; contract passes its address in a 32-bit-clean register) large enough for any map
; that fits the map buffer: fixed tags, a 24-byte entry per descriptor, and a copy of
; the raw map.
mb2_alloc:
    sub rsp, 40
    mov rax, [mmap_cap]
    xor edx, edx
    div qword [mmap_desc_size]
    imul rax, rax, MMAP_ENTRY_SIZE
    add rax, [mmap_cap]
    add rax, 4096 + 4095                ; fixed tags, then round up to pages
    shr rax, EFI_PAGE_SHIFT
    mov rcx, rax
    call pages_alloc_below_4g
    mov [mb2_block], rdx
    add rsp, 40
    ret

; mb2_build(rcx = block) -> rax = total size. Reads only memory: it runs between the
; last GetMemoryMap and ExitBootServices (UEFI spec §7.4).
mb2_build:
    push rbx
    push rsi
    push rdi
    push r12
    sub rsp, 40
    mov r12, rcx
    lea rdi, [rcx + 8]                  ; after total_size and reserved
    cld

    mov dword [rdi], TAG_LOADER_NAME
    mov dword [rdi + 4], 8 + loader_name_len
    lea rsi, [loader_name]
    add rdi, 8
    mov ecx, loader_name_len
    rep movsb
    call align8

    mov dword [rdi], TAG_EFI64
    mov dword [rdi + 4], 16
    mov rax, [efi_system_table]
    mov [rdi + 8], rax
    add rdi, 16

    lea rcx, [guid_acpi20]
    call find_config_table
    test rax, rax
    jz .no_acpi20
    mov rsi, rax
    mov dword [rdi], TAG_ACPI_NEW
    mov dword [rdi + 4], 8 + RSDP_V2_SIZE
    add rdi, 8
    mov ecx, RSDP_V2_SIZE
    rep movsb
    call align8
.no_acpi20:
    lea rcx, [guid_acpi10]
    call find_config_table
    test rax, rax
    jz .no_acpi10
    mov rsi, rax
    mov dword [rdi], TAG_ACPI_OLD
    mov dword [rdi + 4], 8 + RSDP_V1_SIZE
    add rdi, 8
    mov ecx, RSDP_V1_SIZE
    rep movsb
    call align8
.no_acpi10:

    mov rbx, rdi                        ; memory map tag
    mov dword [rbx], TAG_MMAP
    mov dword [rbx + 8], MMAP_ENTRY_SIZE
    mov dword [rbx + 12], 0             ; entry_version
    lea rcx, [rbx + 16]
    call mmap_to_mb2
    add eax, 16
    mov [rbx + 4], eax
    lea rdi, [rbx + rax]
    call align8

    mov dword [rdi], TAG_EFI_MMAP
    mov rcx, [mmap_size]
    lea eax, [ecx + 16]
    mov [rdi + 4], eax
    mov rax, [mmap_desc_size]
    mov [rdi + 8], eax
    mov eax, [mmap_desc_version]
    mov [rdi + 12], eax
    mov rsi, [mmap_buf]
    add rdi, 16
    rep movsb
    call align8

    mov dword [rdi], TAG_END
    mov dword [rdi + 4], 8
    add rdi, 8
    mov rax, rdi
    sub rax, r12
    mov [r12], eax                      ; total_size
    mov dword [r12 + 4], 0
    add rsp, 40
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

; align8: pads rdi with zero bytes to the next 8-byte boundary (tags start there).
align8:
.pad:
    test edi, 7
    jz .done
    mov byte [rdi], 0
    inc rdi
    jmp .pad
.done:
    ret

; find_config_table(rcx = EFI_GUID *) -> rax = VendorTable of the system table's
; configuration table entry with that GUID (UEFI spec §4.6), or 0.
find_config_table:
    mov r8, [efi_system_table]
    mov r9, [r8 + ST_NUM_TABLE_ENTRIES]
    mov r8, [r8 + ST_CONFIG_TABLE]
    mov r10, [rcx]
    mov r11, [rcx + 8]
.entry:
    xor eax, eax
    test r9, r9
    jz .done
    cmp [r8], r10
    jne .next
    cmp [r8 + 8], r11
    jne .next
    mov rax, [r8 + CT_VENDOR_TABLE]
    jmp .done
.next:
    add r8, CT_ENTRY_SIZE
    dec r9
    jmp .entry
.done:
    ret

section .rdata
loader_name: db "tshv-efi", 0
loader_name_len equ $ - loader_name
align 8
; EFI_GUID layout: u32, u16, u16, u8[8], little-endian (UEFI spec Appendix A).
guid_acpi20:                            ; EFI_ACPI_20_TABLE_GUID (§4.6.1)
    dd 0x8868E871
    dw 0xE4F1, 0x11D3
    db 0xBC, 0x22, 0x00, 0x80, 0xC7, 0x3C, 0x88, 0x81
guid_acpi10:                            ; ACPI_TABLE_GUID (§4.6.1)
    dd 0xEB9D2D30
    dw 0x2D88, 0x11D3
    db 0x9A, 0x16, 0x00, 0x90, 0x27, 0x3F, 0xC1, 0x4D

section .bss
alignb 8
mb2_block: resq 1
