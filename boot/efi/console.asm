; console.asm — text output through the firmware's ConOut (EFI_SIMPLE_TEXT_OUTPUT_
; PROTOCOL.OutputString, UEFI spec §12.4.3), which takes NUL-terminated UCS-2 strings.
; Usable only before ExitBootServices(): afterwards the protocol is gone, and the
; hypervisor prints on its own serial port.
;
; All functions follow the Microsoft x64 convention (uefi.inc), as the rest of the
; loader does, so they can be called like firmware services.
BITS 64
default rel
%include "uefi.inc"

extern efi_system_table

global con_puts, con_hex, con_status, con_memtype

section .text

; con_puts(rcx = UCS-2 string). Silently does nothing when the system has no console
; (ConOut may be NULL on headless systems, §4.3.1), since there is nowhere to report.
con_puts:
    sub rsp, 40                         ; shadow space, keeps rsp 16-byte aligned
    mov rdx, rcx
    mov rax, [efi_system_table]
    mov rcx, [rax + ST_CON_OUT]
    test rcx, rcx
    jz .done
    call [rcx + CON_OUTPUT_STRING]
.done:
    add rsp, 40
    ret

; con_hex(rcx = value): "0x" and the value in hex without leading zeros.
con_hex:
    push rdi
    sub rsp, 80                         ; 32 shadow + 48-byte string buffer
    lea rdi, [rsp + 32]
    mov dword [rdi], '0' | ('x' << 16)  ; two UCS-2 characters
    add rdi, 4
    mov rax, rcx
    mov ecx, 16                         ; nibbles left
    xor edx, edx                        ; set once a non-zero digit was written
    lea r9, [hex_digits]
.nibble:
    rol rax, 4
    mov r8d, eax
    and r8d, 15
    or edx, r8d
    jnz .emit
    cmp ecx, 1                          ; zero still prints one digit
    jne .next
.emit:
    movzx r8d, byte [r9 + r8]
    mov [rdi], r8w
    add rdi, 2
.next:
    dec ecx
    jnz .nibble
    mov word [rdi], 0
    lea rcx, [rsp + 32]
    call con_puts
    add rsp, 80
    pop rdi
    ret

; con_status(rcx = EFI_STATUS): the value and, for the error codes of Appendix D
; that firmware services return, its name — "0x800000000000000E (EFI_NOT_FOUND)".
con_status:
    push rbx
    sub rsp, 32
    mov rbx, rcx
    call con_hex
    mov rax, rbx
    btr rax, 63                         ; the error code without the error bit
    jnc .done                           ; not an error: the number says it all
    cmp rax, STATUS_NAME_COUNT
    jae .done
    lea rcx, [str_open]
    call con_puts
    lea rdx, [status_names]
    btr rbx, 63
    mov rcx, [rdx + rbx * 8]
    call con_puts
    lea rcx, [str_close]
    call con_puts
.done:
    add rsp, 32
    pop rbx
    ret

; con_memtype(ecx = EFI_MEMORY_TYPE): its name as the spec spells it (§7.2.1), or
; the number for types beyond the spec's table (OEM / OS ranges).
con_memtype:
    push rbx
    sub rsp, 32
    mov ebx, ecx
    cmp ebx, EFI_MEMORY_TYPE_COUNT
    jae .number
    lea rdx, [memtype_names]
    mov rcx, [rdx + rbx * 8]
    call con_puts
    jmp .done
.number:
    lea rcx, [str_type]
    call con_puts
    mov ecx, ebx
    call con_hex
.done:
    add rsp, 32
    pop rbx
    ret

section .rdata
hex_digits: db "0123456789ABCDEF"
align 2
str_open:  dw __utf16__(" ("), 0
str_close: dw __utf16__(")"), 0
str_type:  dw __utf16__("memory type "), 0

%macro ucs2 2
%1: dw __utf16__(%2), 0
%endmacro
ucs2 s_st0,  "EFI_SUCCESS"
ucs2 s_st1,  "EFI_LOAD_ERROR"
ucs2 s_st2,  "EFI_INVALID_PARAMETER"
ucs2 s_st3,  "EFI_UNSUPPORTED"
ucs2 s_st4,  "EFI_BAD_BUFFER_SIZE"
ucs2 s_st5,  "EFI_BUFFER_TOO_SMALL"
ucs2 s_st6,  "EFI_NOT_READY"
ucs2 s_st7,  "EFI_DEVICE_ERROR"
ucs2 s_st8,  "EFI_WRITE_PROTECTED"
ucs2 s_st9,  "EFI_OUT_OF_RESOURCES"
ucs2 s_st10, "EFI_VOLUME_CORRUPTED"
ucs2 s_st11, "EFI_VOLUME_FULL"
ucs2 s_st12, "EFI_NO_MEDIA"
ucs2 s_st13, "EFI_MEDIA_CHANGED"
ucs2 s_st14, "EFI_NOT_FOUND"
ucs2 s_st15, "EFI_ACCESS_DENIED"
ucs2 s_st16, "EFI_NO_RESPONSE"
ucs2 s_st17, "EFI_NO_MAPPING"
ucs2 s_st18, "EFI_TIMEOUT"
ucs2 s_st19, "EFI_NOT_STARTED"
ucs2 s_st20, "EFI_ALREADY_STARTED"
ucs2 s_st21, "EFI_ABORTED"

ucs2 s_mt0,  "EfiReservedMemoryType"
ucs2 s_mt1,  "EfiLoaderCode"
ucs2 s_mt2,  "EfiLoaderData"
ucs2 s_mt3,  "EfiBootServicesCode"
ucs2 s_mt4,  "EfiBootServicesData"
ucs2 s_mt5,  "EfiRuntimeServicesCode"
ucs2 s_mt6,  "EfiRuntimeServicesData"
ucs2 s_mt7,  "EfiConventionalMemory"
ucs2 s_mt8,  "EfiUnusableMemory"
ucs2 s_mt9,  "EfiACPIReclaimMemory"
ucs2 s_mt10, "EfiACPIMemoryNVS"
ucs2 s_mt11, "EfiMemoryMappedIO"
ucs2 s_mt12, "EfiMemoryMappedIOPortSpace"
ucs2 s_mt13, "EfiPalCode"
ucs2 s_mt14, "EfiPersistentMemory"
ucs2 s_mt15, "EfiUnacceptedMemoryType"

align 8
status_names:
%assign i 0
%rep 22
    dq s_st %+ i
%assign i i+1
%endrep
STATUS_NAME_COUNT equ ($ - status_names) / 8

memtype_names:
%assign i 0
%rep EFI_MEMORY_TYPE_COUNT
    dq s_mt %+ i
%assign i i+1
%endrep
