// Malformed and oversized inputs for the Linux loader: each is the reference kernel with one
// header field broken (or the VM / initrd / command line made to not fit), refused with its own
// status and the offending value, and with guest RAM left untouched.
import { beforeEach, describe, expect, it } from "vitest";
import { guest, hdr, standardVm, stage, setParams, load, S } from "./linux-setup.ts";
import { v, MiB, HOST_KERNEL, HOST_CMDLINE, makeVm, buildE820, guestBytes } from "./vm.ts";

const img = new DataView(v.bytes.buffer, HOST_KERNEL);
const len = guest.vmlinuz.length;
const restoreHeader = (): void => { v.bytes.set(guest.vmlinuz.subarray(0, 0x1000), HOST_KERNEL); };

/** Loads with the current host image and checks the status, the detail and that RAM is untouched. */
function refused(status: number, detail?: bigint): void {
  const before = guestBytes(0, 0x100000);
  const beforeKernel = guestBytes(Number(hdr.prefAddress), 4096);
  const [st, info] = load();
  expect(st).toBe(status);
  if (detail !== undefined) expect(info.detail).toBe(detail);
  expect(Buffer.compare(guestBytes(0, 0x100000), before), "low RAM untouched").toBe(0);
  expect(Buffer.compare(guestBytes(Number(hdr.prefAddress), 4096), beforeKernel), "kernel area untouched").toBe(0);
}

describe("Linux loader: malformed images", () => {
  beforeEach(() => {
    standardVm(128 * MiB);
    stage();
  });

  it("the unmodified image loads (the baseline of every case below)", () => {
    expect(load()[0]).toBe(S.OK);
  });
  it("truncated: shorter than the setup header", () => {
    setParams(0x200, guest.initrd.length, guest.cmdline.length);
    refused(S.TRUNCATED_HEADER, 0x200n);
  });
  it("truncated: the protected-mode kernel cut short of syssize", () => {
    const need = hdr.setupBytes + hdr.syssize * 16;
    setParams(need - 1, guest.initrd.length, guest.cmdline.length);
    refused(S.TRUNCATED_KERNEL, BigInt(need));
  });
  it("bad boot_flag", () => { img.setUint16(0x1fe, 0x55aa, true); refused(S.BAD_BOOT_FLAG, 0x55aan); });
  it("bad HdrS magic", () => { img.setUint8(0x205, 0x58); refused(S.BAD_MAGIC); });
  it("protocol 2.11: no xloadflags", () => { img.setUint16(0x206, 0x020b, true); refused(S.OLD_PROTOCOL, 0x20bn); });
  it("no XLF_KERNEL_64", () => {
    img.setUint16(0x236, hdr.xloadflags & ~1, true);
    refused(S.NOT_64BIT, BigInt(hdr.xloadflags & ~1));
  });
  it("not a bzImage (LOADED_HIGH clear)", () => { img.setUint8(0x211, hdr.loadflags & ~1); refused(S.NOT_BZIMAGE); });
  it("setup header length: jump is not a short jmp, or reaches past struct setup_header", () => {
    img.setUint8(0x200, 0xe9);
    refused(S.BAD_HEADER_LENGTH);
    restoreHeader();
    img.setUint8(0x201, 0x90);
    refused(S.BAD_HEADER_LENGTH, 0x292n);
  });
  it("absurd setup_sects", () => { img.setUint8(0x1f1, 200); refused(S.BAD_SETUP_SECTS, 200n); });
  it("setup_sects 0 means 4", () => {
    img.setUint8(0x1f1, 0);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.kernelBytes).toBe(len - 5 * 512);
  });
  it("syssize 0, and syssize past the end of the file", () => {
    img.setUint32(0x1f4, 0, true);
    refused(S.BAD_SYSSIZE);
    img.setUint32(0x1f4, 0x10000000, true);
    refused(S.TRUNCATED_KERNEL);
  });
  it("payload outside the protected-mode code", () => {
    img.setUint32(0x24c, 0xffffff00, true);
    refused(S.BAD_PAYLOAD);
  });
  it("kernel_alignment not a power of two; min_alignment above it", () => {
    img.setUint32(0x230, 0x300000, true);
    refused(S.BAD_ALIGNMENT, 0x300000n);
    restoreHeader();
    img.setUint8(0x235, 22);
    refused(S.BAD_ALIGNMENT);
  });
  it("pref_address unaligned or beyond 4 GiB", () => {
    img.setBigUint64(0x258, 0x1000800n, true);
    refused(S.BAD_PREF_ADDRESS, 0x1000800n);
    img.setBigUint64(0x258, 0x100000000n, true);
    refused(S.BAD_PREF_ADDRESS, 0x100000000n);
  });
  it("init_size smaller than the image", () => {
    img.setUint32(0x260, 0x1000, true);
    refused(S.BAD_INIT_SIZE, 0x1000n);
  });
  it("the image's setup_data pointer never reaches the kernel", () => {
    img.setBigUint64(0x250, 0xdeadbeef000n, true);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(new DataView(guestBytes(info.zeroPage + 0x250, 8).buffer).getBigUint64(0, true)).toBe(0n);
  });
});

describe("Linux loader: inputs that do not fit", () => {
  beforeEach(() => stage());

  it("init_size larger than RAM", () => {
    standardVm(48 * MiB);
    refused(S.KERNEL_NO_ROOM, BigInt(Math.ceil(hdr.initSize / 4096) * 4096));
  });
  it("non-relocatable kernel whose pref_address range is not RAM", () => {
    standardVm(64 * MiB);
    img.setUint8(0x234, 0);
    refused(S.KERNEL_NO_ROOM);
    restoreHeader();
  });
  it("initrd too big for the RAM beside the kernel", () => {
    standardVm(128 * MiB);
    setParams(len, 80 * MiB, guest.cmdline.length);
    refused(S.INITRD_TOO_BIG, BigInt(80 * MiB));
  });
  it("command line longer than cmdline_size; exactly cmdline_size is fine", () => {
    standardVm(128 * MiB);
    v.bytes.fill(0x61, HOST_CMDLINE, HOST_CMDLINE + hdr.cmdlineSize + 1);
    setParams(len, guest.initrd.length, hdr.cmdlineSize + 1);
    refused(S.CMDLINE_TOO_LONG, BigInt(hdr.cmdlineSize + 1));
    setParams(len, guest.initrd.length, hdr.cmdlineSize);
    const [st, info] = load();
    expect(st).toBe(S.OK);
    expect(info.cmdlineBytes).toBe(hdr.cmdlineSize);
    // A NUL inside the buffer ends the command line there.
    v.bytes[HOST_CMDLINE + 10] = 0;
    setParams(len, guest.initrd.length, hdr.cmdlineSize + 100);
    expect(load()[1].cmdlineBytes).toBe(10);
  });
  it("images outside the host's 4 GiB are refused before anything is read", () => {
    standardVm(128 * MiB);
    v.mem.setBigUint64(1 * MiB + 0x200, 0xffff0000n, true);   // PARAMS.kernel
    refused(S.BAD_ARGUMENT);
  });
  it("an E820 map that claims RAM the VM does not have: the write is refused, not done", () => {
    makeVm(128 * MiB);
    expect(buildE820([[0, 256 * MiB]], [])).toBe(0);
    const [st, info] = load();
    expect(st).toBe(S.GUEST_WRITE_FAILED);
    expect(info.gmStatus).toBe(1);                      // GmStatus.NOT_RAM
    expect(info.detail).toBeGreaterThanOrEqual(BigInt(128 * MiB));   // the initrd at the claimed top
  });
});
