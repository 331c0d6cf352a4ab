; rm16 -- a real-mode guest (start mode 16): CPUID as the hypervisor presents it, port I/O
; (0xE9 console, string output, an unassigned port) and MMIO on the test device through EPT
; violations, all from 16-bit code. See docs/guest-protocol.md.
%include "tsg.inc"
org TSG_LOAD
bits 16
    TSG_HEADER 16, start, 0, 0x7C00
%include "lib16.inc"             ; helpers (macros must precede their use); entry is `start`

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld

; ---- CPUID (SDM Vol 2A, CPUID) -------------------------------------------------------------
    ; leaf 0: vendor string in EBX, EDX, ECX; a CPU model always has a non-empty one
    xor eax, eax
    xor ecx, ecx
    cpuid
    mov [vendor], ebx
    mov [vendor + 4], edx
    mov [vendor + 8], ecx
    cmp byte [vendor], 0
    CHECK ne, "cpuid vendor"
    ; leaf 1 ECX[31]: "hypervisor present", reserved as 0 on hardware, set by hypervisors
    mov eax, 1
    xor ecx, ecx
    cpuid
    mov [leaf1_ecx], ecx
    test ecx, 1 << 31
    CHECK nz, "cpuid hypervisor bit"
    ; leaf 1 ECX[5] = VMX: nested VT-x is not offered, so the guest must not see it
    test dword [leaf1_ecx], 1 << 5
    CHECK z, "cpuid vmx hidden"
    ; leaf 0x40000000: the hypervisor's signature "tshvtshvtshv" in EBX, ECX, EDX
    mov eax, 0x40000000
    xor ecx, ecx
    cpuid
    cmp ebx, HV_SIGNATURE
    jne .sig
    cmp ecx, HV_SIGNATURE
    jne .sig
    cmp edx, HV_SIGNATURE
.sig:
    CHECK e, "cpuid 0x40000000 signature"

; ---- port I/O (SDM Vol 2A/2B, OUT, IN, OUTS) ------------------------------------------------
    ; This line goes out through OUT imm8 one byte at a time: it appears only if 0xE9 works.
    mov si, str_out_imm8
.o1:
    lodsb
    test al, al
    jz .o1d
    out E9_PORT, al
    jmp .o1
.o1d:
    ; OUT DX with 8-, 16- and 32-bit operands, high bytes set to junk: the console takes only
    ; the low byte, so the line is intact only if the width was decoded right.
    mov si, str_out_widths
    mov dx, E9_PORT
    xor bx, bx
.o2:
    movzx eax, byte [si]
    test al, al
    jz .o2d
    inc si
    mov ecx, eax
    or eax, 0x5A5A5A00           ; junk above the low byte
    mov bx, si
    and bx, 3
    cmp bx, 1
    je .w8
    cmp bx, 2
    je .w16
    out dx, eax
    jmp .o2
.w8: out dx, al
    jmp .o2
.w16: out dx, ax
    jmp .o2
.o2d:
    ; REP OUTSB: CX bytes from DS:SI, one exit per byte or one for all, either way the line must
    ; arrive whole
    mov si, str_rep_outsb
    mov cx, str_rep_outsb_len
    mov dx, E9_PORT
    rep outsb
    test cx, cx
    CHECK z, "rep outsb count register cleared"

    ; the rest of the checks print through port 0xE9 too
    mov byte [out_channel], 1
    in al, E9_PORT
    cmp al, 0xE9
    CHECK e, "in al 0xe9 reads 0xe9"
    mov dx, E9_PORT
    xor eax, eax
    in al, dx
    cmp eax, 0xE9
    CHECK e, "in al dx 0xe9 reads 0xe9"

    ; unassigned port: all ones at every width, and nothing else in the register changes
    mov dx, UNASSIGNED_PORT
    mov eax, 0x12345600
    in al, dx
    cmp eax, 0x123456FF
    CHECK e, "in al unassigned port reads 0xff"
    mov eax, 0x12340000
    in ax, dx
    cmp eax, 0x1234FFFF
    CHECK e, "in ax unassigned port reads 0xffff"
    in eax, dx
    cmp eax, 0xFFFFFFFF
    CHECK e, "in eax unassigned port reads 0xffffffff"
    mov al, 0x42
    out dx, al                   ; dropped; must not disturb anything
    mov byte [out_channel], 0

; ---- MMIO on the test device, from real mode ------------------------------------------------
    ; FS reaches 0xFEB00000 with a 4 GiB cached limit (big real mode); every access below is an
    ; EPT violation the hypervisor decodes with 16-bit default sizes plus 66h/67h prefixes.
    call enter_unreal16
    mov ebx, TESTDEV
    mov eax, [fs:ebx + TD_ID]
    cmp eax, TD_ID_VALUE
    CHECK e, "mmio read id"
    mov edi, [fs:ebx + TD_WRITES]                ; WRITES before
    ; 8-bit write and read back
    mov byte [fs:ebx + TD_SCRATCH], 0xA5
    mov al, 0
    mov al, [fs:ebx + TD_SCRATCH]
    cmp al, 0xA5
    CHECK e, "mmio scratch 8-bit"
    ; 16-bit
    mov word [fs:ebx + TD_SCRATCH], 0xBEEF
    mov cx, [fs:ebx + TD_SCRATCH]
    cmp cx, 0xBEEF
    CHECK e, "mmio scratch 16-bit"
    ; 32-bit, from a register
    mov edx, 0xC0FFEE11
    mov [fs:ebx + TD_SCRATCH], edx
    mov esi, [fs:ebx + TD_SCRATCH]
    cmp esi, 0xC0FFEE11
    CHECK e, "mmio scratch 32-bit"
    ; three writes to SCRATCH since the first read of WRITES
    mov eax, [fs:ebx + TD_WRITES]
    sub eax, edi
    cmp eax, 3
    CHECK e, "mmio writes counter +3"
    ; ID is read-only: a write is ignored and does not count
    mov dword [fs:ebx + TD_ID], 0
    mov eax, [fs:ebx + TD_ID]
    cmp eax, TD_ID_VALUE
    CHECK e, "mmio id read-only"
    mov eax, [fs:ebx + TD_WRITES]
    sub eax, edi
    cmp eax, 3
    CHECK e, "mmio writes counter ignores id write"

    jmp exit16

str_out_imm8: db "PASS out imm8 0xe9", 10, 0
str_out_widths: db "PASS out dx 0xe9 8/16/32-bit", 10, 0
str_rep_outsb: db "PASS rep outsb", 10
str_rep_outsb_len equ $ - str_rep_outsb
vendor: times 13 db 0
leaf1_ecx: dd 0
