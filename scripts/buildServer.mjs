// `npm run build:server`: compiles src/ to dist/ (tsconfig.build.json) from a clean dist/, then copies the files
// the compiled code reads beside itself (the stores' SQL migrations, the OpenAPI examples) to the same place under dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
rmSync(join(root, 'dist'), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
for (const dialect of readdirSync(join(root, 'src/store'), { withFileTypes: true })) {
  const from = join(root, 'src/store', dialect.name, 'migrations');
  if (dialect.isDirectory() && existsSync(from))
    cpSync(from, join(root, 'dist/store', dialect.name, 'migrations'), { recursive: true });
}
// The OpenAPI document's examples (src/server/openapi/examples.ts reads them beside itself).
cpSync(join(root, 'src/server/openapi/examples.json'), join(root, 'dist/server/openapi/examples.json'));
