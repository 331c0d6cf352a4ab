// x86-64 register names and immediate formatting for NASM (Intel SDM Vol. 2, §2.2.1: REX
// prefixes make sil/dil/bpl/r8b-r15b addressable as byte registers in 64-bit mode).

const GPR = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
const LEGACY32: Record<string, string> = { rax: "eax", rbx: "ebx", rcx: "ecx", rdx: "edx", rsi: "esi", rdi: "edi", rbp: "ebp", rsp: "esp" };
const LEGACY16: Record<string, string> = { rax: "ax", rbx: "bx", rcx: "cx", rdx: "dx", rsi: "si", rdi: "di", rbp: "bp", rsp: "sp" };
const LEGACY8: Record<string, string> = { rax: "al", rbx: "bl", rcx: "cl", rdx: "dl", rsi: "sil", rdi: "dil", rbp: "bpl", rsp: "spl" };

export function isGpr(r: string): boolean {
  return GPR.includes(r);
}

/** The name of 64-bit register `r64` at width `bits`. */
export function reg(r64: string, bits: 8 | 16 | 32 | 64): string {
  if (bits === 64) return r64;
  const legacy = bits === 32 ? LEGACY32 : bits === 16 ? LEGACY16 : LEGACY8;
  const l = legacy[r64];
  if (l) return l;
  return r64 + (bits === 32 ? "d" : bits === 16 ? "w" : "b");
}

export function sizeWord(bytes: number): string {
  return bytes === 1 ? "byte" : bytes === 2 ? "word" : bytes === 4 ? "dword" : "qword";
}

/** A constant as a NASM immediate of `bits` width, written signed (NASM warns on out-of-range unsigned). */
export function imm(bits: bigint, width: 8 | 16 | 32 | 64): string {
  return BigInt.asIntN(width, bits).toString();
}

/** Whether a 64-bit value can be an imm32 operand (sign-extended to 64 bits). */
export function fitsS32(bits: bigint): boolean {
  const s = BigInt.asIntN(64, bits);
  return s >= -(1n << 31n) && s < 1n << 31n;
}

export function hex64(bits: bigint): string {
  return "0x" + BigInt.asUintN(64, bits).toString(16);
}
