; pm32 -- starts in real mode (start mode 16), switches itself to 32-bit protected mode with its
; own GDT and IDT, then: MSR accesses (an allowed one, an unknown one whose #GP must arrive at
; this guest's own IDT handler) and MMIO on the test device with the 32-bit MOV forms, MOVZX and
; MOVSX. See docs/guest-protocol.md.
%include "tsg.inc"
org TSG_LOAD
bits 16
    TSG_HEADER 16, start16, 0, 0x7C00
%include "lib32.inc"

MSR_PAT         equ 0x277
PAT_RESET_VALUE equ 0x0007040600070406   ; SDM Vol 3A, "IA32_PAT MSR": value after reset
; Not an MSR of any CPU, and outside both MSR-bitmap ranges (SDM Vol 3C, "MSR-Bitmap Address"),
; so RDMSR/WRMSR of it always exit; the hypervisor must answer with #GP as hardware would.
MSR_UNKNOWN     equ 0xC0DE1234

bits 16
start16:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    cld
    ; SDM Vol 3A, "Switching to Protected Mode": GDT, CR0.PE, then a far jump to load CS
    lgdt [gdt_desc32]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:start32

bits 32
start32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7C00
    call idt_init32
    mov eax, cr0
    test al, 1
    CHECK nz, "protected mode entered"

; ---- MSRs (SDM Vol 2B, RDMSR/WRMSR; Vol 4 for the MSR list) -----------------------------------
    EXPECT_EXC 13, 2
    mov ecx, MSR_PAT
    rdmsr
    mov dword [expect_vector32], -1
    cmp dword [exc_count32], 0
    CHECK e, "rdmsr pat no #gp"
    cmp eax, PAT_RESET_VALUE & 0xFFFFFFFF
    jne .pat
    cmp edx, PAT_RESET_VALUE >> 32
.pat:
    CHECK e, "rdmsr pat reset value"
    ; write a different PAT and read it back (UC- -> WC in entries 2 and 6), then restore
    mov ecx, MSR_PAT
    mov eax, 0x00070106
    mov edx, 0x00070106
    wrmsr
    xor eax, eax
    xor edx, edx
    rdmsr
    cmp eax, 0x00070106
    jne .pat2
    cmp edx, 0x00070106
.pat2:
    CHECK e, "wrmsr pat round trip"
    mov eax, PAT_RESET_VALUE & 0xFFFFFFFF
    mov edx, PAT_RESET_VALUE >> 32
    wrmsr

    ; unknown MSR: #GP(0) delivered through this guest's IDT, EDX:EAX untouched
    EXPECT_EXC 13, 2
    mov ecx, MSR_UNKNOWN
    mov eax, 0x11111111
    mov edx, 0x22222222
.rdmsr_unknown:
    rdmsr
    cmp dword [exc_count32], 1
    CHECK e, "rdmsr unknown msr #gp to guest idt"
    ; #GP is a fault: the saved EIP is the RDMSR itself, not the instruction after it
    cmp dword [exc_eip32], .rdmsr_unknown
    CHECK e, "rdmsr unknown msr #gp eip at the rdmsr"
    cmp dword [exc_error32], 0
    CHECK e, "rdmsr unknown msr #gp error code 0"
    cmp eax, 0x11111111
    jne .keep
    cmp edx, 0x22222222
.keep:
    CHECK e, "rdmsr unknown msr leaves edx:eax"

; ---- MMIO, 32-bit forms (SDM Vol 2B, MOV; Vol 2A, MOVZX/MOVSX) --------------------------------
    mov eax, [TESTDEV + TD_ID]                   ; A1: MOV EAX, moffs32
    cmp eax, TD_ID_VALUE
    CHECK e, "mmio mov eax moffs32 read id"
    mov ebx, TESTDEV
    mov ecx, [ebx]                               ; 8B /r, [reg]
    cmp ecx, TD_ID_VALUE
    CHECK e, "mmio mov r32 [reg] read id"
    mov edx, [dword TESTDEV + TD_ID]             ; 8B /r, mod 00 rm 101: [disp32]
    cmp edx, TD_ID_VALUE
    CHECK e, "mmio mov r32 [disp32] read id"
    mov dword [ebx + TD_SCRATCH], 0xDEADBEEF     ; C7 /0 id
    mov esi, [ebx + TD_SCRATCH]                  ; 8B /r, [reg + disp8]
    cmp esi, 0xDEADBEEF
    CHECK e, "mmio mov imm32 store"
    mov ecx, TD_SCRATCH / 4
    mov edi, 0x13579BDF
    mov [ebx + ecx * 4], edi                     ; 89 /r with SIB (scaled index)
    mov ebp, [ebx + ecx * 4]
    cmp ebp, 0x13579BDF
    CHECK e, "mmio mov r32 sib store and load"
    mov eax, 0x2468ACE0
    mov [TESTDEV + TD_SCRATCH], eax              ; A3: MOV moffs32, EAX
    mov eax, 0
    mov eax, [TESTDEV + TD_SCRATCH]
    cmp eax, 0x2468ACE0
    CHECK e, "mmio mov moffs32 store"
    mov edx, 0xAAAA0000
    mov word [ebx + TD_SCRATCH], 0x1234          ; 66 C7 /0 iw
    mov dx, [ebx + TD_SCRATCH]                   ; 66 8B: only DX changes
    cmp edx, 0xAAAA1234
    CHECK e, "mmio mov r16 load keeps upper bits"

    ; MOVZX/MOVSX read the low byte/word of SCRATCH
    mov dword [ebx + TD_SCRATCH], 0x8180F0E1
    mov eax, 0xFFFFFFFF
    movzx eax, byte [ebx + TD_SCRATCH]           ; 0F B6
    cmp eax, 0xE1
    CHECK e, "mmio movzx r32 byte"
    mov eax, 0xFFFFFFFF
    movzx eax, word [ebx + TD_SCRATCH]           ; 0F B7
    cmp eax, 0xF0E1
    CHECK e, "mmio movzx r32 word"
    xor ecx, ecx
    movsx ecx, byte [ebx + TD_SCRATCH]           ; 0F BE
    cmp ecx, 0xFFFFFFE1
    CHECK e, "mmio movsx r32 byte"
    xor ecx, ecx
    movsx ecx, word [ebx + TD_SCRATCH]           ; 0F BF
    cmp ecx, 0xFFFFF0E1
    CHECK e, "mmio movsx r32 word"

    jmp exit32

align 8
gdt32:
    dq 0
    dq 0x00CF9B000000FFFF        ; 0x08: code, base 0, 4 GiB, 32-bit, present, accessed
    dq 0x00CF93000000FFFF        ; 0x10: data, base 0, 4 GiB, RW, present, accessed
gdt32_end:
gdt_desc32:
    dw gdt32_end - gdt32 - 1
    dd gdt32
