; mbr.asm -- a 512-byte disk boot sector that boots build/hypervisor.elf in emulators without a
; multiboot loader (Bochs: its BIOS only boots sectors). Disk layout (tools/emu/mkdisk.sh):
; LBA 0 this sector, LBA 1.. the ELF file, unchanged.
;
; Why this path for Bochs and not a GRUB ISO: it is one BIOS disk read loop and a copy, so the
; hypervisor runs a fraction of a second after reset, while GRUB executes millions of emulated
; instructions (module loading, menu, its own drivers) before it jumps; and it needs no grub
; packages. It still hands over a real multiboot 0.6.96 information block (flags: memory map
; from INT 15h E820, boot loader name), so the stub and the core take exactly the multiboot1
; path they take under QEMU -kernel and GRUB, with the machine's true memory map.
;
; Steps: E820 map -> info block at MBI; A20 on; "unreal" mode (SDM Vol. 3 §21.1.1: segment limits
; loaded in protected mode stay in effect in real mode) so 32-bit addresses work; INT 13h AH=42h
; reads 32 KiB chunks to a bounce buffer, each copied to STAGE (48 MiB: above everything the
; image's segment covers — code at 1 MiB up to the reserved wasm region ending at 32 MiB — so the
; later ELF copy and bss zeroing cannot overwrite their source; Bochs runs get >= 64 MiB of RAM); then protected mode, PT_LOAD segments
; copied to p_paddr, bss zeroed, jump to e_entry with eax = 0x2BADB002, ebx = info block.
;
; nasm -f bin -DCHUNKS=n mbr.asm   (n = number of 32 KiB chunks holding the ELF, 1..65535)

%ifndef CHUNKS
%error "define CHUNKS: the number of 32 KiB chunks to read (tools/emu/mkdisk.sh computes it)"
%endif

MBI      equ 0x1000                     ; multiboot info block (zeroed, 88 bytes used)
MMAP     equ 0x1100                     ; E820 entries, 24 bytes each in multiboot form
MMAP_MAX equ 128
BOUNCE   equ 0x10000                    ; INT 13h buffer, 32 KiB (segment 0x1000)
STAGE    equ 0x3000000                  ; whole ELF file staged here (48 MiB)
SMAP     equ 0x534D4150                 ; 'SMAP'

BITS 16
org 0x7C00
start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    cld
    mov [drive], dl

    ; ---- multiboot info: flags bit 6 (mmap) + bit 9 (boot_loader_name) --------------------
    mov di, MBI
    mov cx, (MMAP - MBI) / 2
    xor ax, ax
    rep stosw                           ; di = MMAP afterwards
    mov dword [MBI], (1 << 6) | (1 << 9)
    mov dword [MBI + 48], MMAP          ; mmap_addr
    mov dword [MBI + 64], loader_name   ; boot_loader_name
    xor ebx, ebx                        ; E820 continuation value
.e820:
    mov dword [di], 20                  ; multiboot entry "size" = bytes after this field
    add di, 4
    mov eax, 0xE820
    mov ecx, 20
    mov edx, SMAP
    int 0x15
    jc .e820_done                       ; carry: past the last entry
    cmp eax, SMAP
    jne .e820_done
    add di, 20
    add word [MBI + 44], 24             ; mmap_length
    test ebx, ebx
    jz .e820_done
    cmp di, MMAP + 24 * MMAP_MAX
    jb .e820

.e820_done:
    in al, 0x92                         ; A20 through the "fast A20" port (System Control Port A)
    or al, 2
    and al, 0xFE                        ; bit 0 would reset the machine
    out 0x92, al

.read:
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc disk_error
    call unreal                         ; again each time: a BIOS call may reset the limits
    mov esi, BOUNCE
    mov edi, [stage_ptr]                ; kept in memory: the BIOS may clobber 32-bit registers
    mov ecx, 32768 / 4
    a32 rep movsd                       ; ds:esi -> es:edi with 4 GiB limits
    mov [stage_ptr], edi
    add dword [dap_lba], 64
    dec word [chunks]
    jnz .read

    ; ---- protected mode: load the ELF64 PT_LOAD segments -------------------------------------
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32
BITS 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7C00
    mov ebp, STAGE                      ; ELF header (ELF-64 spec: e_entry +0x18, e_phoff +0x20,
    mov ebx, [ebp + 0x20]               ;   e_phentsize +0x36, e_phnum +0x38)
    add ebx, ebp
    movzx edx, word [ebp + 0x38]
.phdr:
    cmp dword [ebx], 1                  ; p_type PT_LOAD
    jne .next
    mov esi, [ebx + 0x08]               ; p_offset
    add esi, ebp
    mov edi, [ebx + 0x18]               ; p_paddr
    mov ecx, [ebx + 0x20]               ; p_filesz
    rep movsb
    mov ecx, [ebx + 0x28]               ; p_memsz - p_filesz bytes of zeroes (bss)
    sub ecx, [ebx + 0x20]
    xor eax, eax
    rep stosb
.next:
    movzx eax, word [ebp + 0x36]
    add ebx, eax
    dec edx
    jnz .phdr
    mov eax, 0x2BADB002                 ; multiboot 0.6.96 §3.2 machine state
    mov ebx, MBI
    jmp [ebp + 0x18]                    ; e_entry (a 32-bit address)

BITS 16

; unreal -- load ds/es with 4 GiB limits through protected mode, back to real mode with base 0
unreal:
    push eax
    lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    xor ax, ax
    mov ds, ax
    mov es, ax
    pop eax
    ret

disk_error:
    mov si, msg_error
.put:
    lodsb
    test al, al
    jz .halt
    mov dx, 0x3F8                       ; COM1: emulators need no UART setup to print
    out dx, al
    jmp .put
.halt:
    hlt
    jmp .halt

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF               ; 0x08 32-bit flat code
    dq 0x00CF92000000FFFF               ; 0x10 flat data, 4 GiB
gdt_desc:
    dw 23
    dd gdt
align 4
dap:
    db 16, 0
    dw 64                               ; sectors per read: 32 KiB
    dw 0                                ; buffer offset
    dw BOUNCE >> 4                      ; buffer segment
dap_lba:
    dq 1
stage_ptr:  dd STAGE
chunks:     dw CHUNKS
drive:      db 0
loader_name: db "tshv-mbr", 0
msg_error:  db "mbr: disk read error", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xAA55
