#!/usr/bin/env node
// The published CLI: runs the built cli.js. In the monorepo, `pnpm replaykit` runs the
// TypeScript source instead.
import { main } from '../dist/cli.js';

await main();
