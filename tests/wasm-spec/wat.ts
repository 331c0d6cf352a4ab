// Test helper: wasm binaries from text, through binaryen's parser (npm binaryen).
import binaryen from "binaryen";

export function wat(text: string): Uint8Array {
  const m = binaryen.parseText(text);
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.Multivalue | binaryen.Features.BulkMemory);
    if (!m.validate()) throw new Error(`invalid test module:\n${text}`);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
