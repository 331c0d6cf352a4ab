#!/usr/bin/env node
// Launcher for `npx ts2native …`: runs the TypeScript CLI (../src/cli.ts), bundled and cached by
// ./load.mjs (or through tsx's loader when bundling is not possible).
import { loadCli } from "./load.mjs";

const { main } = await loadCli();
process.exitCode = main(process.argv.slice(2));
