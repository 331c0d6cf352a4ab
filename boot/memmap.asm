; memmap.asm -- find the end of the highest usable RAM range in the loader's information block,
; just enough to size the identity map. The core parses the same block in full for its physical
; memory manager; the stub only needs one number.
;
; Multiboot 0.6.96 §3.3: flags bit 6 -> mmap_length (+44), mmap_addr (+48); entries are
;   { u32 size; u64 base_addr; u64 length; u32 type } and the next one starts size+4 bytes on.
;   Fallback, flags bit 0 -> mem_upper (+8): KiB of RAM from 1 MiB up.
; Multiboot2 §3.6: { u32 total_size; u32 reserved; tags... }, tags 8-aligned { u32 type; u32 size }:
;   type 6 memory map { u32 entry_size; u32 entry_version; entries { u64 base; u64 length;
;   u32 type; u32 reserved } }, type 4 basic meminfo { u32 mem_lower; u32 mem_upper }, type 0 end.
; In both, memory type 1 is "available RAM".
; The walk is bounded by the lengths the block states, so a corrupt block cannot run it away.

%include "defs.inc"

BITS 64
section .text

; memmap_top -- edi = boot magic, esi = info address (< 4 GiB). Returns rax = first byte past the
; highest available RAM range, 0 when the magic is unknown or the block holds no memory facts.
; Clobbers rcx, rdx, rsi, rdi, r8-r11.
global memmap_top
memmap_top:
    xor eax, eax
    mov esi, esi                        ; zero-extend: the info address is a 32-bit value
    test rsi, rsi
    jz .out
    cmp edi, MB1_BOOT_MAGIC
    je mb1_top
    cmp edi, MB2_BOOT_MAGIC
    je mb2_top
.out:
    ret

; rsi = multiboot 1 info
mb1_top:
    mov ecx, [rsi]                      ; flags
    test ecx, 1 << 6
    jz .basic
    mov r8d, [rsi + 48]                 ; mmap_addr: first entry's size field
    mov r9d, [rsi + 44]                 ; mmap_length
    add r9, r8                          ; end of the map
.entry:
    lea r10, [r8 + 24]                  ; an entry needs 4 + 8 + 8 + 4 bytes
    cmp r10, r9
    ja .done
    mov edx, [r8]                       ; size of the entry after the size field
    cmp dword [r8 + 20], 1
    jne .next
    mov r10, [r8 + 4]
    add r10, [r8 + 12]                  ; base + length
    cmp rax, r10
    cmovb rax, r10
.next:
    lea r8, [r8 + rdx + 4]
    jmp .entry
.done:
    test rax, rax
    jnz .out
.basic:
    test ecx, 1 << 0
    jz .out
    mov eax, [rsi + 8]                  ; mem_upper, KiB above 1 MiB
    shl rax, 10
    add rax, 0x100000
.out:
    ret

; rsi = multiboot2 info
mb2_top:
    xor r11d, r11d                      ; from basic meminfo, used when no memory map is present
    mov r9d, [rsi]                      ; total_size
    add r9, rsi                         ; end of the block
    lea r8, [rsi + 8]                   ; first tag
.tag:
    lea r10, [r8 + 8]
    cmp r10, r9
    ja .done
    mov ecx, [r8]                       ; type
    mov edx, [r8 + 4]                   ; size, header included, without padding
    test ecx, ecx
    jz .done                            ; end tag
    cmp edx, 8
    jb .done                            ; malformed: stop rather than loop
    cmp ecx, 6
    je .mmap
    cmp ecx, 4
    jne .next_tag
    mov r11d, [r8 + 12]                 ; mem_upper, KiB above 1 MiB
    shl r11, 10
    add r11, 0x100000
    jmp .next_tag
.mmap:
    mov edi, [r8 + 8]                   ; entry_size
    cmp edi, 24
    jb .next_tag
    lea rsi, [r8 + 16]                  ; first entry
    lea r10, [r8 + rdx]                 ; end of this tag
.mmap_entry:
    lea rcx, [rsi + 24]
    cmp rcx, r10
    ja .next_tag
    cmp dword [rsi + 16], 1
    jne .mmap_next
    mov rcx, [rsi]
    add rcx, [rsi + 8]                  ; base + length
    cmp rax, rcx
    cmovb rax, rcx
.mmap_next:
    add rsi, rdi
    jmp .mmap_entry
.next_tag:
    add edx, 7
    and edx, ~7
    add r8, rdx
    jmp .tag
.done:
    test rax, rax
    cmovz rax, r11
    ret
