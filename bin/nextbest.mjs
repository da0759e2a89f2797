#!/usr/bin/env node
// A production install runs the compiled build (`npm run build` writes dist/; no tsx, no TypeScript). A
// development checkout, where tsx is installed, runs the TypeScript sources through tsx's loader, so it needs no
// build step; NEXTBEST_RUN=dist runs the build there too (bench:serve measures what operators run).
import { existsSync } from 'node:fs';

const build = new URL('../dist/cli/main.js', import.meta.url);
const tsx =
  process.env.NEXTBEST_RUN === 'dist' ? undefined : await import('tsx/esm/api').catch(() => undefined);
if (tsx) {
  tsx.register();
  await import('../src/cli/main.ts');
} else if (existsSync(build)) {
  await import(build.href);
} else {
  console.error('nextbest: there is no build in dist/ (run `npm run build`) and no tsx to run the sources');
  process.exit(1);
}
