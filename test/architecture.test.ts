// The core stays pure and the dependencies point one way (DESIGN.md): fail the build when they do not.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const forbidden: Record<string, RegExp[]> = {
  'src/core': [
    /\/(store|server|cli|engine|demo|measure)\//,
    /^node:/,
    /^(fastify|better-sqlite3|pg|commander)/,
  ],
  'src/learn': [
    /\/(store|server|cli|engine|demo|core\/catalog)/,
    /^node:/,
    /^(fastify|better-sqlite3|pg|commander)/,
  ],
  // Stores keep facts; what they mean (rewards, KPI rules) is measure's, so a store never imports it.
  'src/store': [/\/(server|cli|engine|measure)\//],
  // Services and measurement work through the store contract, never a dialect.
  'src/engine': [/\/(server|cli)\//, /store\/(sqlite|postgres)\//, /^(better-sqlite3|pg)$/],
  'src/measure': [/\/(server|cli|engine)\//, /store\/(sqlite|postgres)\//, /^(better-sqlite3|pg)$/],
};

describe('architecture', () => {
  for (const [dir, rules] of Object.entries(forbidden)) {
    it(`${dir} imports only what it may`, () => {
      const bad: string[] = [];
      for (const file of files(dir)) {
        for (const spec of imports(file)) {
          if (rules.some((r) => r.test(spec))) bad.push(`${relative('.', file)} imports ${spec}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }

  it('the core and the learners take their clock and randomness from the caller', () => {
    const bad: string[] = [];
    for (const file of [...files('src/core'), ...files('src/learn')]) {
      const text = readFileSync(file, 'utf8');
      if (/Date\.now\(|Math\.random\(|new Date\(\)/.test(text)) bad.push(relative('.', file));
    }
    expect(bad).toEqual([]);
  });

  it('nothing evaluates text as code', () => {
    const bad = files('src').filter((f) => /\beval\(|new Function\(/.test(readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });
});
