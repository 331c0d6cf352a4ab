// The Linux 64-bit boot protocol loader (src/vmm/loader/linux.ts) on the real Debian cloud kernel
// and initrd (make guest-linux): placement, zero page, E820 table, command line, initrd, page
// tables and entry state, each checked against the image's own header and boot.rst.
import { beforeAll, describe, expect, it } from "vitest";
import { guest, hdr, standardVm, stage, load, S, RSDP, ACPI_SIZE, type Info } from "./linux-setup.ts";
import { MiB, GiB, buildE820, guestBytes, g8, g16, g32, g64, readBootState, readE820Table, hostOf, type E820Entry } from "./vm.ts";

const RAM = 128 * MiB;
const hex = (x: number | bigint): string => `0x${x.toString(16)}`;

/** The E820 map the standard VM must get, written out by hand from its configuration. */
const expectedE820 = (ram: number): E820Entry[] => [
  { addr: 0, size: 0x9f000, type: 1 },
  { addr: 0x9f000, size: 0x61000, type: 2 },
  { addr: 0x100000, size: Math.min(ram, 0xc0000000) - ACPI_SIZE - 0x100000, type: 1 },
  { addr: Math.min(ram, 0xc0000000) - ACPI_SIZE, size: ACPI_SIZE, type: 3 },
  { addr: 0xfec00000, size: 0x1000, type: 2 },
  { addr: 0xfee00000, size: 0x1000, type: 2 },
];

/** Reference 4-level walk (SDM Vol 3A §4.5) of the guest's tables: the physical address, or null. */
function walk(cr3: bigint, linear: bigint): bigint | null {
  let table = cr3 & 0xffffffffff000n;
  for (let level = 4; level >= 1; level--) {
    const shift = BigInt(12 + 9 * (level - 1));
    const e = g64(Number(table + ((linear >> shift) & 511n) * 8n));
    if ((e & 1n) === 0n) return null;
    expect(e & 2n, "writable").toBe(2n);
    expect(e >> 63n, "executable").toBe(0n);
    if (level === 2 && (e & 0x80n) !== 0n) return (e & 0xfffffffe00000n) | (linear & 0x1fffffn);
    expect(level === 3 ? e & 0x80n : 0n, "no 1 GiB pages (CPUID need not have them)").toBe(0n);
    if (level === 1) return (e & 0xffffffffff000n) | (linear & 0xfffn);
    table = e & 0xffffffffff000n;
  }
  return null;
}

describe("Linux loader: the reference kernel in a 128 MiB VM", () => {
  let st = -1;
  let info: Info;
  beforeAll(() => {
    standardVm(RAM);
    stage();
    [st, info] = load();
  });

  it("accepts the image and places the kernel at pref_address", () => {
    expect(st).toBe(S.OK);
    expect(hdr.version).toBeGreaterThanOrEqual(0x20c);
    expect(info.protocol).toBe(hdr.version);
    expect(info.kernel).toBe(Number(hdr.prefAddress));
    expect(info.kernelBytes).toBe(guest.vmlinuz.length - hdr.setupBytes);
    expect(info.initSize).toBe(Math.ceil(hdr.initSize / 4096) * 4096);
    expect(info.kernel % hdr.kernelAlignment).toBe(0);
  });

  it("copies the protected-mode kernel byte for byte", () => {
    const got = guestBytes(info.kernel, info.kernelBytes);
    expect(Buffer.compare(got, guest.vmlinuz.subarray(hdr.setupBytes))).toBe(0);
  });

  it("zero page: the image's setup header, except the fields the loader owns", () => {
    const zp = info.zeroPage;
    const got = guestBytes(zp, 4096);
    const owned = new Set<number>();
    const own = (off: number, size: number): void => { for (let i = 0; i < size; i++) owned.add(off + i); };
    own(0x210, 1); own(0x211, 1); own(0x214, 4); own(0x218, 4); own(0x21c, 4); own(0x224, 2); own(0x228, 4); own(0x250, 8);
    for (let off = 0x1f1; off < hdr.end; off++) {
      if (!owned.has(off)) expect(got[off], `header byte ${hex(off)}`).toBe(guest.vmlinuz[off]);
    }
    expect(g8(zp + 0x210), "type_of_loader").toBe(0xff);
    expect(g8(zp + 0x211), "loadflags").toBe(hdr.loadflags | 0x01 | 0x80);
    expect(g16(zp + 0x224), "heap_end_ptr").toBe(0xde00);
    expect(g32(zp + 0x214), "code32_start").toBe(info.kernel);
    expect(g64(zp + 0x250), "setup_data").toBe(0n);
    expect(g64(zp + 0x070), "acpi_rsdp_addr").toBe(BigInt(RSDP));
    // Nothing else is set: every byte outside the header, the E820 table and the fields above is 0.
    own(0x070, 8); own(0x0c0, 12); own(0x1e8, 1); own(0x2d0, 20 * 128);
    for (let off = 0x1f1; off < hdr.end; off++) owned.add(off);
    const stray = [...got.keys()].filter((off) => !owned.has(off) && got[off] !== 0);
    expect(stray.map(hex)).toEqual([]);
  });

  it("zero page: the E820 table is the VM's map, sorted and merged", () => {
    const zp = info.zeroPage;
    const n = g8(zp + 0x1e8);
    const table: E820Entry[] = Array.from({ length: n }, (_, i) => ({
      addr: Number(g64(zp + 0x2d0 + 20 * i)), size: Number(g64(zp + 0x2d0 + 20 * i + 8)), type: g32(zp + 0x2d0 + 20 * i + 16),
    }));
    expect(table).toEqual(expectedE820(RAM));
    expect(readE820Table()).toEqual(expectedE820(RAM));
    expect(info.e820Count).toBe(n);
  });

  it("command line: copied, NUL-terminated, pointed at by cmd_line_ptr, within cmdline_size", () => {
    const zp = info.zeroPage;
    const ptr = g32(zp + 0x228) + g32(zp + 0x0c8) * 2 ** 32;
    expect(ptr).toBe(info.cmdline);
    expect(guestBytes(ptr, guest.cmdline.length + 1)).toEqual(new Uint8Array([...guest.cmdline, 0]));
    expect(info.cmdlineBytes).toBe(guest.cmdline.length);
    expect(guest.cmdline.length).toBeLessThanOrEqual(hdr.cmdlineSize);
    expect(ptr + guest.cmdline.length + 1).toBeLessThanOrEqual(0x9f000);
  });

  it("initrd: page-aligned at the top of free RAM, below the ACPI tables, clear of everything else", () => {
    const zp = info.zeroPage;
    const image = g32(zp + 0x218) + g32(zp + 0x0c0) * 2 ** 32;
    const size = g32(zp + 0x21c) + g32(zp + 0x0c4) * 2 ** 32;
    expect(size).toBe(guest.initrd.length);
    expect(image).toBe(info.initrd);
    expect(image % 4096).toBe(0);
    const acpiStart = RAM - ACPI_SIZE;
    // The highest page-aligned start whose end stays below the ACPI region.
    expect(image).toBe(Math.floor((acpiStart - Math.ceil(size / 4096) * 4096) / 4096) * 4096);
    expect(image).toBeGreaterThanOrEqual(info.kernel + info.initSize);
    expect(image + size).toBeLessThanOrEqual(hdr.initrdAddrMax + 1);
    expect(Buffer.compare(guestBytes(image, size), guest.initrd)).toBe(0);
  });

  it("page tables identity-map the first 4 GiB with 2 MiB pages, and nothing above", () => {
    const s = readBootState();
    expect(s.cr3).toBe(BigInt(info.cr3));
    for (const a of [0n, 0x1000n, BigInt(info.zeroPage), BigInt(info.cmdline), BigInt(info.kernel) + 0x200n,
      BigInt(info.kernel + info.initSize - 1), BigInt(info.initrd), 0xfee00000n, 4n * BigInt(GiB) - 1n]) {
      expect(walk(s.cr3, a), hex(a)).toBe(a);
    }
    expect(walk(s.cr3, 4n * BigInt(GiB))).toBeNull();
    expect(walk(s.cr3, 0xffffffff80000000n)).toBeNull();
    // The tables lie in RAM the E820 map calls usable and outside every other region.
    const tablesEnd = info.cr3 + 6 * 4096;
    expect(tablesEnd).toBeLessThanOrEqual(0x9f000);
    for (const [a, b] of [[info.zeroPage, info.zeroPage + 4096], [info.cmdline, info.cmdline + info.cmdlineBytes + 1]]) {
      expect(b! <= info.cr3 || a! >= tablesEnd, "overlap with page tables").toBe(true);
    }
  });

  it("entry state: 64-bit mode, CS=__BOOT_CS, DS/ES/SS=__BOOT_DS, RIP=load+0x200, RSI=zero page, IF=0", () => {
    const s = readBootState();
    expect(s.mode).toBe(64);
    expect(s.rip).toBe(BigInt(info.kernel + 0x200));
    expect(s.gpr[6], "rsi").toBe(BigInt(info.zeroPage));
    expect(s.rflags & (1n << 9n), "IF").toBe(0n);
    expect(s.rflags & 2n).toBe(2n);
    expect(s.cr0).toBe(0x80000031n);     // PG | NE | ET | PE
    expect(s.cr4).toBe(0x20n);           // PAE
    expect(s.efer).toBe(0x500n);         // LMA | LME
    expect(s.cs).toEqual({ selector: 0x10, base: 0n, limit: 0xffffffff, ar: 0xa09b });
    for (const seg of [s.ds, s.es, s.ss]) expect(seg).toEqual({ selector: 0x18, base: 0n, limit: 0xffffffff, ar: 0xc093 });
    expect(s.tr.ar & 0xf).toBe(11);      // busy TSS, as VM entry requires (SDM Vol 3C §26.3.1.2)
    expect(s.ldtr.ar).toBe(0x10000);     // unusable
    const rsp = Number(s.gpr[4]);
    expect(hostOf(rsp - 8)).not.toBeNull();
    expect(rsp <= info.zeroPage || rsp - 0x1000 >= info.zeroPage + 4096).toBe(true);
  });

  it("the GDT in guest RAM holds the same segments the state describes", () => {
    const s = readBootState();
    expect(s.gdtrLimit).toBeGreaterThanOrEqual(0x1f);
    const desc = (sel: number): bigint => g64(Number(s.gdtrBase) + sel);
    // Access rights are descriptor bits 55:40 without the limit nibble (SDM Vol 3C Table 24-2).
    expect(Number((desc(0x10) >> 40n) & 0xf0ffn)).toBe(s.cs.ar);
    expect(Number((desc(0x18) >> 40n) & 0xf0ffn)).toBe(s.ds.ar);
    for (const sel of [0x10, 0x18]) {
      const d = desc(sel);
      expect(d & 0xffffn | ((d >> 48n) & 0xfn) << 16n, "limit 0xFFFFF pages").toBe(0xfffffn);
      expect((d >> 16n) & 0xffffffn | ((d >> 56n) << 24n), "base 0").toBe(0n);
    }
    expect(desc(0)).toBe(0n);
  });
});

describe("Linux loader: placement in other VMs", () => {
  it("RAM above initrd_addr_max: the initrd ends at or below it", () => {
    const ram = 3 * GiB;
    standardVm(ram);
    stage();
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.initrd + info.initrdBytes).toBeLessThanOrEqual(hdr.initrdAddrMax + 1);
    expect(info.initrd).toBe(Math.floor((hdr.initrdAddrMax + 1 - guest.initrd.length) / 4096) * 4096);
    expect(Buffer.compare(guestBytes(info.initrd, info.initrdBytes), guest.initrd)).toBe(0);
    const zp = info.zeroPage;
    expect(g8(zp + 0x1e8)).toBe(6);
    expect(Number(g64(zp + 0x2d0 + 20 * 2 + 8))).toBe(ram - ACPI_SIZE - 0x100000);
  });

  it("relocatable kernel in RAM too small for pref_address + init_size: lowest aligned fit", () => {
    expect(hdr.relocatable).toBe(1);
    standardVm(64 * MiB);
    expect(Number(hdr.prefAddress) + hdr.initSize).toBeGreaterThan(64 * MiB - ACPI_SIZE);
    stage();
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.kernel).toBe(Math.ceil(MiB / hdr.kernelAlignment) * hdr.kernelAlignment);
    expect(readBootState().rip).toBe(BigInt(info.kernel + 0x200));
    expect(g32(info.zeroPage + 0x214)).toBe(info.kernel);
    expect(Buffer.compare(guestBytes(info.kernel, 4096), guest.vmlinuz.subarray(hdr.setupBytes, hdr.setupBytes + 4096))).toBe(0);
    expect(info.initrd).toBeGreaterThanOrEqual(info.kernel + info.initSize);
  });

  it("no initrd: ramdisk fields 0", () => {
    standardVm(128 * MiB);
    stage(guest.vmlinuz, new Uint8Array(0));
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect([g32(info.zeroPage + 0x218), g32(info.zeroPage + 0x21c), g32(info.zeroPage + 0xc0), g32(info.zeroPage + 0xc4)]).toEqual([0, 0, 0, 0]);
  });

  it("the loader's own structures stay out of reserved memory the caller lists", () => {
    // An ACPI region over the zero page's place: the low boot area is not free RAM any more.
    standardVm(128 * MiB);
    expect(buildE820([[0, 128 * MiB]], [{ addr: 0x2000, size: 0x1000, type: 3 }])).toBe(0);
    stage();
    const before = guestBytes(0, 0x9f000);
    const [st, info] = load();
    expect(st).toBe(S.LOW_MEMORY_NOT_RAM);
    expect(info.detail).toBe(0x1000n);
    expect(Buffer.compare(guestBytes(0, 0x9f000), before), "nothing written").toBe(0);
  });
});
