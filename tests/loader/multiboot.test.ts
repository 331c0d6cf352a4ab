// The multiboot 0.6.96 loader (src/vmm/loader/multiboot.ts) on kernels crafted in the test: an
// ELF32 one and an a.out-kludge one, with modules; placement, MBI, mmap, entry state, refusals.
import { beforeEach, describe, expect, it } from "vitest";
import {
  v, MiB, makeVm, buildE820, guestBytes, g32, g64, readBootState, readE820Table, PARAMS, INFO, STATE, GM, PHYS,
  E820, MODS, HOST_KERNEL, HOST_INITRD, HOST_CMDLINE, E820_ACPI,
} from "./vm.ts";
import { standardElf, standardKludge, elf32, mbHeader, pattern, MB_MAGIC } from "./mbkernels.ts";

const RAM = 64 * MiB;
const ACPI = { addr: RAM - 0x20000, size: 0x20000, type: E820_ACPI };
const CMDLINE = "kernel console=ttyS0";
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const S = {
  OK: 0, BAD_ARGUMENT: 1, NO_HEADER: 3, BAD_CHECKSUM: 4, UNSUPPORTED_FLAGS: 5, TRUNCATED_HEADER: 6, BAD_ADDRESSES: 7,
  NOT_ELF: 8, BAD_ELF: 9, BAD_PHDRS: 10, BAD_SEGMENT: 11, ENTRY_OUTSIDE: 12, NOT_RAM: 13,
  TOO_MANY_MODULES: 20, NO_ROOM: 21,
} as const;

interface Mod { data: Uint8Array; cmdline: string }
const MODULES: Mod[] = [
  { data: pattern(5000, 9), cmdline: "initrd.img" },
  { data: pattern(0x2000, 10), cmdline: "" },
];

function stage(kernel: Uint8Array, mods: Mod[] = MODULES, cmdline = CMDLINE): void {
  v.bytes.set(kernel, HOST_KERNEL);
  const q = (a: number, x: number): void => v.mem.setBigUint64(a, BigInt(x), true);
  q(PARAMS, HOST_KERNEL); q(PARAMS + 8, kernel.length);
  v.bytes.set(enc(cmdline), HOST_CMDLINE);
  q(PARAMS + 16, HOST_CMDLINE); q(PARAMS + 24, enc(cmdline).length);
  v.mem.setUint32(PARAMS + 32, E820, true);
  v.mem.setUint32(PARAMS + 36, MODS, true);
  v.mem.setUint32(PARAMS + 40, mods.length, true);
  mods.forEach((m, i) => {
    const img = HOST_INITRD + i * 0x10000, cmd = HOST_CMDLINE + 0x1000 * (i + 1);
    v.bytes.set(m.data.subarray(0, 0x10000), img);
    v.bytes.set(enc(m.cmdline), cmd);
    q(MODS + 40 * i, img); q(MODS + 40 * i + 8, m.data.length);
    q(MODS + 40 * i + 16, cmd); q(MODS + 40 * i + 24, enc(m.cmdline).length);
    q(MODS + 40 * i + 32, 0);
  });
}
interface Info { entry: number; imageStart: number; imageEnd: number; mbi: number; mbiBytes: number; detail: bigint; notes: number }
function load(): [number, Info] {
  const st = v.u32("multiboot", GM, PHYS, PARAMS, INFO, STATE);
  const q = (o: number): number => Number(v.mem.getBigUint64(INFO + o, true));
  return [st, {
    entry: q(0), imageStart: q(8), imageEnd: q(16), mbi: q(24), mbiBytes: q(32),
    detail: v.mem.getBigUint64(INFO + 40, true), notes: v.mem.getUint32(INFO + 48, true),
  }];
}
const cstr = (gpa: number): string => {
  const b = guestBytes(gpa, 256);
  return new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
};

/** MBI, modules, mmap and entry state checks shared by both kernel formats. */
function checkBoot(info: Info, mods: Mod[]): void {
  const s = readBootState();
  expect(s.mode).toBe(32);
  expect(s.gpr[0], "eax").toBe(0x2badb002n);
  expect(s.gpr[3], "ebx").toBe(BigInt(info.mbi));
  expect(s.rip).toBe(BigInt(info.entry));
  expect(s.cr0 & 1n, "PE").toBe(1n);
  expect(s.cr0 & (1n << 31n), "PG").toBe(0n);
  expect([s.cr4, s.efer, s.rflags & (1n << 9n), s.rflags & (1n << 17n)]).toEqual([0n, 0n, 0n, 0n]);
  expect(s.cs).toEqual({ selector: 0x08, base: 0n, limit: 0xffffffff, ar: 0xc09b });
  for (const seg of [s.ds, s.es, s.fs, s.gs, s.ss]) expect(seg).toEqual({ selector: 0x10, base: 0n, limit: 0xffffffff, ar: 0xc093 });
  const gdt = Number(s.gdtrBase);
  expect(Number((g64(gdt + 8) >> 40n) & 0xf0ffn)).toBe(s.cs.ar);
  expect(Number((g64(gdt + 16) >> 40n) & 0xf0ffn)).toBe(s.ds.ar);

  const mbi = info.mbi;
  expect(mbi % 4).toBe(0);
  expect(mbi).toBeGreaterThanOrEqual(info.imageEnd);
  expect(mbi + info.mbiBytes).toBeLessThanOrEqual(ACPI.addr);
  const flags = g32(mbi);
  expect(flags).toBe((1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9));
  expect(g32(mbi + 4), "mem_lower KiB").toBe(0x9f000 / 1024);
  expect(g32(mbi + 8), "mem_upper KiB").toBe((ACPI.addr - MiB) / 1024);
  expect(cstr(g32(mbi + 16))).toBe(CMDLINE);
  expect(cstr(g32(mbi + 64))).toBe("tshv");
  // Modules: page-aligned, after the image, in order, not overlapping, bytes and strings intact.
  expect(g32(mbi + 20)).toBe(mods.length);
  let prevEnd = info.imageEnd;
  mods.forEach((m, i) => {
    const e = g32(mbi + 24) + 16 * i;
    const start = g32(e), end = g32(e + 4);
    expect(start % 4096, `module ${i} page-aligned`).toBe(0);
    expect(start).toBeGreaterThanOrEqual(prevEnd);
    expect(end - start).toBe(m.data.length);
    expect(Buffer.compare(guestBytes(start, m.data.length), m.data)).toBe(0);
    expect(cstr(g32(e + 8))).toBe(m.cmdline);
    expect(Number(v.mem.getBigUint64(MODS + 40 * i + 32, true)), "MbModule.gpa").toBe(start);
    prevEnd = end;
  });
  expect(mbi).toBeGreaterThanOrEqual(prevEnd);
  // mmap: the E820 map, one 24-byte entry (size field 20) each.
  const table = readE820Table();
  expect(g32(mbi + 44)).toBe(24 * table.length);
  const mmap = g32(mbi + 48);
  table.forEach((e, i) => {
    const a = mmap + 24 * i;
    expect([g32(a), Number(g64(a + 4)), Number(g64(a + 12)), g32(a + 20)]).toEqual([20, e.addr, e.size, e.type]);
  });
}

describe("multiboot loader: well-formed kernels", () => {
  beforeEach(() => {
    makeVm(RAM);
    expect(buildE820([[0, RAM]], [ACPI])).toBe(0);
  });

  it("ELF32: PT_LOAD segments at p_paddr, bss zeroed, entry translated from e_entry", () => {
    const k = standardElf();
    stage(k.image);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.entry).toBe(k.entry);
    expect([info.imageStart, info.imageEnd]).toEqual([0x100000, 0x104000]);
    expect(Buffer.compare(guestBytes(k.text.paddr, 0x1000), k.text.data)).toBe(0);
    expect(Buffer.compare(guestBytes(k.data.paddr, 0x100), k.data.data)).toBe(0);
    expect(guestBytes(k.data.paddr + 0x100, 0x2f00).every((b) => b === 0), "bss").toBe(true);
    expect(g32(g32(info.mbi + 24)), "first module on the first page after the image").toBe(0x104000);
    expect(info.notes).toBe(0);
    checkBoot(info, MODULES);
  });

  it("a.out kludge: file from the header's offset minus (header_addr - load_addr), bss to bss_end_addr", () => {
    const image = standardKludge();
    stage(image);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.entry).toBe(0x200100);
    expect([info.imageStart, info.imageEnd]).toEqual([0x200000, 0x208000]);
    expect(Buffer.compare(guestBytes(0x200000, 0x3000), image)).toBe(0);
    expect(guestBytes(0x203000, 0x5000).every((b) => b === 0), "bss").toBe(true);
    checkBoot(info, MODULES);
  });

  it("a.out kludge with load_end_addr 0 (to end of file) and bss_end_addr 0 (no bss), header deep in the file", () => {
    const image = pattern(0x2000, 4);
    image.set(mbHeader(0x10000, { header: 0x301000, load: 0x300800, loadEnd: 0, bssEnd: 0, entry: 0x300800 }), 0x1000);
    stage(image, []);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect([info.imageStart, info.imageEnd]).toEqual([0x300800, 0x300800 + 0x1800]);
    expect(Buffer.compare(guestBytes(0x300800, 0x1800), image.subarray(0x800))).toBe(0);
    checkBoot(info, []);
  });

  it("flags[2] (video mode) is accepted and noted as ignored; no VBE info is passed", () => {
    stage(standardKludge({}, 0x10007));
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.notes).toBe(1);
    expect(g32(info.mbi) & (1 << 11)).toBe(0);
  });
});

describe("multiboot loader: refusals", () => {
  beforeEach(() => {
    makeVm(RAM);
    expect(buildE820([[0, RAM]], [ACPI])).toBe(0);
  });
  const refused = (image: Uint8Array, status: number, detail?: bigint, mods: Mod[] = MODULES): void => {
    stage(image, mods);
    const before = guestBytes(0, 4 * MiB);
    const [st, info] = load();
    expect(st).toBe(status);
    if (detail !== undefined) expect(info.detail).toBe(detail);
    expect(Buffer.compare(guestBytes(0, 4 * MiB), before), "RAM untouched").toBe(0);
  };

  it("no header, header past 8192 bytes, bad checksum", () => {
    refused(pattern(0x3000, 5).map((b) => b & 0x7f), S.NO_HEADER);
    const late = new Uint8Array(0x3000);
    late.set(mbHeader(0x10003, { header: 0x202000, load: 0x200000, loadEnd: 0, bssEnd: 0, entry: 0x200000 }), 0x2000);
    refused(late, S.NO_HEADER);
    const bad = standardKludge();
    new DataView(bad.buffer).setUint32(0x48, 0x12345678, true);
    refused(bad, S.BAD_CHECKSUM, 0x40n);
  });
  it("a header at an unaligned offset is not one", () => {
    const img = new Uint8Array(0x2000);
    img.set(mbHeader(0x10000, { header: 0x200042, load: 0x200000, loadEnd: 0, bssEnd: 0, entry: 0x200000 }), 0x42);
    refused(img, S.NO_HEADER);
  });
  it("required flags this loader does not know (bits 3-15)", () => {
    refused(standardKludge({}, 0x10003 | (1 << 3)), S.UNSUPPORTED_FLAGS, 8n);
    refused(standardKludge({}, 0x10000 | (1 << 15)), S.UNSUPPORTED_FLAGS, 0x8000n);
  });
  it("optional flags (bits 17-31) are ignored", () => {
    stage(standardKludge({}, 0x10003 | (1 << 20)));
    expect(load()[0]).toBe(S.OK);
  });
  it("a.out kludge: inconsistent or out-of-file addresses", () => {
    refused(standardKludge({ load: 0x200080 }), S.BAD_ADDRESSES, 0x200080n);            // load_addr > header_addr
    refused(standardKludge({ load: 0x1ff000 }), S.BAD_ADDRESSES, 0x1ff000n);            // before the file start
    refused(standardKludge({ loadEnd: 0x204000 }), S.BAD_ADDRESSES, 0x204000n);         // past the end of the file
    refused(standardKludge({ bssEnd: 0x202000 }), S.BAD_ADDRESSES, 0x202000n);          // bss ends before the data
    refused(standardKludge({ entry: 0x208000 }), S.BAD_ADDRESSES, 0x208000n);           // entry past the image
  });
  it("a.out kludge: header cut off by the end of the file", () => {
    const img = new Uint8Array(0x50);
    img.set(mbHeader(0x10000, { header: 0x200040, load: 0x200000, loadEnd: 0, bssEnd: 0, entry: 0x200000 }).subarray(0, 16), 0x40);
    refused(img, S.TRUNCATED_HEADER, 0x40n);
  });
  it("a.out kludge image outside guest RAM, or straddling its end", () => {
    refused(standardKludge({ load: 0x3fff000, header: 0x3fff040, loadEnd: 0x4002000, bssEnd: 0x4010000, entry: 0x3fff100 }), S.NOT_RAM, 0x3fff000n);
    refused(standardKludge({ header: 0x8000040, load: 0x8000000, loadEnd: 0x8003000, bssEnd: 0x8008000, entry: 0x8000100 }), S.NOT_RAM, 0x8000000n);
  });
  it("no address fields and not ELF", () => {
    const img = pattern(0x2000, 6);
    img.set(mbHeader(0x3), 0x100);
    refused(img, S.NOT_ELF);
  });
  it("ELF: wrong class or machine", () => {
    const k = standardElf();
    const x64 = k.image.slice(); new DataView(x64.buffer).setUint16(18, 62, true);
    refused(x64, S.BAD_ELF, 62n);
    const c64 = k.image.slice(); c64[4] = 2;
    refused(c64, S.BAD_ELF);
  });
  it("ELF: program headers outside the file, segment outside the file, filesz > memsz", () => {
    const { text, data } = standardElf();
    const hdr = mbHeader(3);
    refused(elf32({ entry: 0x100000, segments: [text], fileSize: 0x2000, header: hdr, headerAt: 0x1010, phoff: 0x1ff0 }), S.BAD_PHDRS);
    refused(elf32({ entry: 0x100000, segments: [text, { ...data, offset: 0x2100 }], fileSize: 0x2100, header: hdr, headerAt: 0x1010 }), S.BAD_SEGMENT, 1n);
    refused(elf32({ entry: 0x100000, segments: [text, { ...data, memsz: 0x80 }], fileSize: 0x2100, header: hdr, headerAt: 0x1010 }), S.BAD_SEGMENT, 1n);
  });
  it("ELF: entry outside every segment; segment outside RAM; no PT_LOAD", () => {
    const { text, data } = standardElf();
    const hdr = mbHeader(3);
    refused(elf32({ entry: 0xc0200000, segments: [text, data], fileSize: 0x2100, header: hdr, headerAt: 0x1010 }), S.ENTRY_OUTSIDE, 0xc0200000n);
    refused(elf32({ entry: 0xc0100000, segments: [text, { ...data, paddr: 0x7000000 }], fileSize: 0x2100, header: hdr, headerAt: 0x1010 }), S.NOT_RAM, 0x7000000n);
    refused(elf32({ entry: 0xc0100000, segments: [{ ...text, type: 4 }], fileSize: 0x2100, header: hdr, headerAt: 0x1010 }), S.BAD_PHDRS);
  });
  it("too many modules; a module that does not fit in RAM", () => {
    refused(standardKludge(), S.TOO_MANY_MODULES, undefined, Array.from({ length: 65 }, () => ({ data: pattern(16, 1), cmdline: "" })));
    stage(standardKludge(), [{ data: pattern(16, 1), cmdline: "" }]);
    v.mem.setBigUint64(MODS + 8, BigInt(RAM), true);     // the module claims 64 MiB
    const [st, info] = load();
    expect(st).toBe(S.NO_ROOM);
    expect(info.detail).toBe(BigInt(RAM));
  });
  it("the magic alone (a truncated first header) is not a header", () => {
    const img = new Uint8Array(8);
    new DataView(img.buffer).setUint32(0, MB_MAGIC, true);
    refused(img, S.NO_HEADER);
  });
});
