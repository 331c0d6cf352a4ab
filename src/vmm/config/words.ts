// Word scanning over a module string [p, end) for the VM definition parser (vm-config.ts). The
// bytes are untrusted: every function stays inside [p, end), which the caller bounded by the
// multiboot2 tag's own size. Words are separated by spaces and tabs (GRUB joins the words after
// the file name with single spaces; a hand-written boot loader configuration may use either).

@inline export function isSpace(c: u32): bool { return c == 0x20 || c == 0x09; }

/** Characters of a VM name: a-z 0-9 _ - (docs/vm-config.md). */
@inline export function isNameChar(c: u32): bool {
  return (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D;
}

export function skipSpaces(p: usize, end: usize): usize {
  while (p < end && isSpace(<u32>load<u8>(p))) p++;
  return p;
}

export function wordEnd(p: usize, end: usize): usize {
  while (p < end && !isSpace(<u32>load<u8>(p))) p++;
  return p;
}

/** Whether [p, e) equals the ASCII literal `s`. */
export function wordIs(p: usize, e: usize, s: string): bool {
  const n = <usize>s.length;
  if (e - p != n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

/** Whether [p, e) starts with `s`. */
export function startsWith(p: usize, e: usize, s: string): bool {
  const n = <usize>s.length;
  if (e - p < n) return false;
  for (let i: usize = 0; i < n; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(<i32>i)) return false;
  return true;
}

/**
 * The rest of the string after a `--` word ending at `e`, trimmed of spaces on both sides, copied
 * NUL-terminated to `dst` (max + 1 bytes). Returns its length, or -1 (nothing copied) when it is
 * longer than `max`.
 */
export function copyRest(e: usize, end: usize, dst: usize, max: u32): i32 {
  const s = skipSpaces(e, end);
  let n = end - s;
  while (n > 0 && isSpace(<u32>load<u8>(s + n - 1))) n--;
  if (n > <usize>max) return -1;
  memory.copy(dst, s, n);
  store<u8>(dst + n, 0);
  return <i32>n;
}
