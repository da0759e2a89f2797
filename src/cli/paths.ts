// Files that ship with the package, found relative to this source file (no build step moves them).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The telco example catalog that a fresh database starts with. */
export const BUNDLED_CATALOG = resolve(here, '../../examples/telco/catalog.yaml');
/** The dashboard as `npm run build:web` builds it. */
export const WEB_ROOT = resolve(here, '../../web/dist');
/** The package's manifest (its version for `nextbest --version`). */
export const PACKAGE_JSON = resolve(here, '../../package.json');
