// The reference guest's files and an independent reading of a bzImage setup header (boot.rst,
// "The Real-Mode Kernel Header"), written from the document, not from the loader's code, so the
// tests compare the loader against the image's own header.
import { existsSync, readFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = resolve(root, process.env["GUEST_LINUX_DIR"] ?? "build/guest-linux");

/** The reference guest (make guest-linux). Missing files fail the tests: they are not optional. */
export function guestLinux(): { vmlinuz: Uint8Array; initrd: Uint8Array; cmdline: Uint8Array } {
  const need = (f: string): Uint8Array => {
    const p = resolve(dir, f);
    if (!existsSync(p)) throw new Error(`${p} missing: run \`make guest-linux\` (make test-loader-unit does)`);
    return new Uint8Array(readFileSync(p));
  };
  const cmd = need("cmdline");
  // The file ends with a newline; the command line is the text before it.
  const text = new TextDecoder().decode(cmd).replace(/\n+$/, "");
  return { vmlinuz: need("vmlinuz"), initrd: need("initrd.img"), cmdline: new TextEncoder().encode(text) };
}

export interface SetupHeader {
  setupSects: number; syssize: number; bootFlag: number; jump: number; version: number;
  loadflags: number; initrdAddrMax: number; kernelAlignment: number; relocatable: number;
  xloadflags: number; cmdlineSize: number; prefAddress: bigint; initSize: number;
  /** First byte after the header: 0x202 + the jump's displacement. */
  end: number;
  /** Bytes of real-mode code (boot sector + setup) that precede the protected-mode kernel. */
  setupBytes: number;
}

export function parseSetupHeader(img: Uint8Array): SetupHeader {
  const d = new DataView(img.buffer, img.byteOffset, img.byteLength);
  if (d.getUint32(0x202, true) !== 0x53726448) throw new Error("not a bzImage (no HdrS)");
  const setupSects = d.getUint8(0x1f1);
  return {
    setupSects,
    syssize: d.getUint32(0x1f4, true),
    bootFlag: d.getUint16(0x1fe, true),
    jump: d.getUint16(0x200, true),
    version: d.getUint16(0x206, true),
    loadflags: d.getUint8(0x211),
    initrdAddrMax: d.getUint32(0x22c, true),
    kernelAlignment: d.getUint32(0x230, true),
    relocatable: d.getUint8(0x234),
    xloadflags: d.getUint16(0x236, true),
    cmdlineSize: d.getUint32(0x238, true),
    prefAddress: d.getBigUint64(0x258, true),
    initSize: d.getUint32(0x260, true),
    end: 0x202 + d.getUint8(0x201),
    setupBytes: ((setupSects === 0 ? 4 : setupSects) + 1) * 512,
  };
}
