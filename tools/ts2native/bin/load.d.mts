// Types of load.mjs for TypeScript users (tests/ts2native/bench.ts).
import type { compileModule } from "../src/compile.ts";

export declare function loadCli(): Promise<{ main(argv: string[]): number; compileModule: typeof compileModule }>;
