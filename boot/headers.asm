; headers.asm -- the two boot-loader headers. linker.ld puts .multiboot1 and .multiboot2 first in
; the image so both sit inside the first 8 KiB (mb1) / 32 KiB (mb2) of the file, as the specs ask.

%include "defs.inc"

extern _start32
extern __image_start, __load_end, __reserved_end

; ---- Multiboot 0.6.96 §3.1.1 (header) and §3.1.3 (address fields) ---------------------------
; Flag 16 (the "a.out kludge") makes the loader use the address fields below instead of parsing
; the ELF: QEMU's `-kernel` refuses ELF64 files otherwise. The loader then copies the file bytes
; from the header's file offset - (header_addr - load_addr) for load_end_addr - load_addr bytes,
; so linker.ld emits one PT_LOAD segment whose file image is flat and starts at __image_start.
MB1_MAGIC   equ 0x1BADB002
MB1_F_ALIGN equ 1 << 0                  ; modules page-aligned (guest kernels will be modules)
MB1_F_MEM   equ 1 << 1                  ; mem_* and mmap_* fields wanted in the info block
MB1_F_ADDR  equ 1 << 16                 ; header_addr..entry_addr are valid
MB1_FLAGS   equ MB1_F_ALIGN | MB1_F_MEM | MB1_F_ADDR

section .multiboot1 progbits alloc noexec nowrite align=4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS) & 0xFFFFFFFF ; checksum: the three fields sum to 0 mod 2^32
    dd mb1_header                       ; header_addr
    dd __image_start                    ; load_addr
    dd __load_end                       ; load_end_addr: end of .data (file-backed part)
    dd __reserved_end                   ; bss_end_addr: the loader zeroes up to here (incl. the wasm region)
    dd _start32                         ; entry_addr

; ---- Multiboot2 §3.1 (header, 8-aligned, within the first 32 KiB) ----------------------------
; No address tag: GRUB loads the ELF by its PT_LOAD p_paddr and enters at e_entry (_start32).
MB2_MAGIC   equ 0xE85250D6
MB2_ARCH    equ 0                       ; i386 protected mode

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH
    dd mb2_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH + (mb2_end - mb2_header)) & 0xFFFFFFFF
    ; §3.1.4 information request: the memory map (type 6) is required, the stub sizes the
    ; identity map from it and the core's physical memory manager is built on it.
    align 8, db 0
.info_req:
    dw 1                                ; type: information request
    dw 0                                ; flags: not optional
    dd .info_req_end - .info_req
    dd 6                                ; memory map
.info_req_end:
    align 8, db 0
    dw 0                                ; end tag
    dw 0
    dd 8
mb2_end:
