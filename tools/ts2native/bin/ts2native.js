#!/usr/bin/env node
// Launcher for `npx ts2native …`: runs the TypeScript CLI (../src/cli.ts) through tsx's ESM loader.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = main(process.argv.slice(2));
