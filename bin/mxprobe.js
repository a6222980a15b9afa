#!/usr/bin/env node
// The `mxprobe` command. The TypeScript sources are built to dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

await main();
