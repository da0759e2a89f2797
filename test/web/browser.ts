// What the Chromium tests share: Debian's Chromium (required in CI, where .ci/run installs it; elsewhere the tests
// skip without it) and the built pages.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_ROOT } from '../../src/cli/paths.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

/** Fails the test file when the build it needs is missing (npm test builds web/dist first). */
export function requireBuilt(file: string): void {
  if (!existsSync(join(WEB_ROOT, file)))
    throw new Error(`web/dist/${file} is missing: run \`npm run build:web\` (npm test does it first)`);
}
