// Small multiboot kernels built byte by byte for the tests (Multiboot 0.6.96 §3.1; ELF32 layout
// from the System V gABI): an ELF32 i386 executable and an a.out-kludge flat image.
export const MB_MAGIC = 0x1badb002;

/** The 12-byte (or 32-byte with flags[16]) header, checksum computed unless `checksum` is given. */
export function mbHeader(flags: number, addr?: { header: number; load: number; loadEnd: number; bssEnd: number; entry: number }, checksum?: number): Uint8Array {
  const out = new Uint8Array(addr ? 32 : 12);
  const d = new DataView(out.buffer);
  d.setUint32(0, MB_MAGIC, true);
  d.setUint32(4, flags >>> 0, true);
  d.setUint32(8, checksum ?? ((-(MB_MAGIC + flags)) >>> 0), true);
  if (addr) [addr.header, addr.load, addr.loadEnd, addr.bssEnd, addr.entry].forEach((x, i) => d.setUint32(12 + 4 * i, x >>> 0, true));
  return out;
}

export interface Segment { paddr: number; vaddr: number; offset: number; data: Uint8Array; memsz: number; type?: number }
export interface ElfOptions { entry: number; segments: Segment[]; machine?: number; cls?: number; phoff?: number; fileSize: number; header: Uint8Array; headerAt: number }

/** An ELF32 executable: header, program headers at phoff (default 52), segment bytes at their offsets. */
export function elf32(o: ElfOptions): Uint8Array {
  const out = new Uint8Array(o.fileSize);
  const d = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, o.cls ?? 1, 1, 1], 0);
  d.setUint16(16, 2, true);                 // ET_EXEC
  d.setUint16(18, o.machine ?? 3, true);    // EM_386
  d.setUint32(20, 1, true);
  d.setUint32(24, o.entry >>> 0, true);
  const phoff = o.phoff ?? 52;
  d.setUint32(28, phoff, true);
  d.setUint16(40, 52, true);
  d.setUint16(42, 32, true);
  d.setUint16(44, o.segments.length, true);
  o.segments.forEach((s, i) => {
    const p = phoff + 32 * i;
    if (p + 32 > out.length) return;         // a hostile phoff: the table lies outside the file
    d.setUint32(p, s.type ?? 1, true);
    d.setUint32(p + 4, s.offset, true);
    d.setUint32(p + 8, s.vaddr >>> 0, true);
    d.setUint32(p + 12, s.paddr >>> 0, true);
    d.setUint32(p + 16, s.data.length, true);
    d.setUint32(p + 20, s.memsz, true);
    d.setUint32(p + 24, 7, true);
    d.setUint32(p + 28, 0x1000, true);
    if (s.offset + s.data.length <= out.length) out.set(s.data, s.offset);
  });
  out.set(o.header, o.headerAt);
  return out;
}

export const pattern = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + 1) & 0xff);

/** The standard ELF test kernel: text at 1 MiB (linked at 0xC0100000), data + bss after it. */
export function standardElf(flags = 0x3): { image: Uint8Array; text: Segment; data: Segment; entry: number } {
  const text: Segment = { paddr: 0x100000, vaddr: 0xc0100000, offset: 0x1000, data: pattern(0x1000, 1), memsz: 0x1000 };
  const data: Segment = { paddr: 0x101000, vaddr: 0xc0101000, offset: 0x2000, data: pattern(0x100, 2), memsz: 0x3000 };
  const header = mbHeader(flags);
  text.data.set(header, 0x10);
  const image = elf32({ entry: 0xc0100040, segments: [text, data], fileSize: 0x2100, header, headerAt: 0x1010 });
  return { image, text, data, entry: 0x100040 };
}

/** The standard a.out-kludge kernel: loaded at 2 MiB from file offset 0, header at 0x40, bss to +32 KiB. */
export function standardKludge(over: Partial<{ header: number; load: number; loadEnd: number; bssEnd: number; entry: number }> = {}, flags = 0x10003): Uint8Array {
  const image = pattern(0x3000, 3);
  const addr = { header: 0x200040, load: 0x200000, loadEnd: 0x203000, bssEnd: 0x208000, entry: 0x200100, ...over };
  image.set(mbHeader(flags, addr), 0x40);
  return image;
}
