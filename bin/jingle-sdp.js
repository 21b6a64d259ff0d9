#!/usr/bin/env node
// Entry point of the `jingle-sdp` bin: loads the TypeScript CLI through tsx's ESM loader.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../client/src/jingle/cli.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));
