#!/usr/bin/env node
// The worker is TypeScript run through tsx so there is no build step between source and process.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
