import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], { encoding: 'utf8' });

describe('nextbest catalog validate', () => {
  it('accepts the bundled example, without warnings', () => {
    const res = run('catalog', 'validate', 'examples/telco/catalog.yaml');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/valid \(37 actions in 4 issues.*2 triggers; version \w+\)\n$/);
    expect(res.stdout).not.toContain('warning');
  });

  it('refuses a title cut by an unquoted comma in a flow map, and says how to fix it', () => {
    const file = join(dir, 'comma.yaml');
    writeFileSync(
      file,
      [
        'channels: [{ id: web }]',
        'actions:',
        '  - { id: A, name: A, issue: I, group: G, treatments: { web: { title: Your bill, explained, link: /b } } }',
      ].join('\n'),
    );
    const res = run('catalog', 'validate', file);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      "actions[0].treatments.web.explained: unknown field 'explained' (an unquoted comma in a YAML flow map? quote the value: title: 'a, b')",
    );
  });

  it('lists every problem with its location and exits non-zero', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'channels: [{ id: web }]',
        'schema: { customer: { tenure: number } }',
        'actions:',
        '  - { id: A, name: A, issue: I, group: G, treatments: { web: { title: T } }, eligibility: "customer.tenur > 5" }',
        '  - { id: B, name: B, issue: I, group: G, treatments: { sms: { title: T } } }',
      ].join('\n'),
    );
    const res = run('catalog', 'validate', file);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("actions[0].eligibility: unknown field 'tenur' at column 10");
    expect(res.stderr).toContain("actions[1].treatments.sms: unknown channel 'sms'");
  });

  it('says so when the file does not exist', () => {
    const res = run('catalog', 'validate', join(dir, 'missing.yaml'));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/ENOENT|no such file/);
  });
});
