import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { CatalogError } from '../../src/core/catalogSchema.ts';
import { parseCatalogSource } from '../../src/core/catalogSource.ts';
import { action, smallCatalogDoc } from '../helpers.ts';

function issuesOf(doc: unknown): Array<{ path: string; message: string }> {
  try {
    compileCatalog(doc);
  } catch (error) {
    if (error instanceof CatalogError) return error.issues;
    throw error;
  }
  throw new Error('catalog was accepted');
}

describe('catalog', () => {
  it('accepts the bundled telco example: at least 30 actions across 4 issues', () => {
    const catalog = compileCatalog(parseCatalogSource(readFileSync('examples/telco/catalog.yaml', 'utf8')));
    expect(catalog.actions.length).toBeGreaterThanOrEqual(30);
    expect(new Set(catalog.actions.map((a) => a.issue)).size).toBe(4);
  });

  it('names the rule and the column of an unknown field', () => {
    const doc = smallCatalogDoc();
    (doc.actions as Array<Record<string, unknown>>)[3]!.eligibility = 'customer.tenur > 5';
    expect(issuesOf(doc)).toEqual([
      { path: 'actions[3].eligibility', message: "unknown field 'tenur' at column 10" },
    ]);
  });

  it('collects every problem with its path', () => {
    const doc = smallCatalogDoc({
      actions: [
        action('X', 'I', 'G', { value: 'customer.age *', treatments: { fax: { title: 't' } } }),
        action('X', 'I', 'G', { suitability: 'context.intent == 3', lever: -1 }),
      ],
    });
    const issues = issuesOf(doc);
    expect(issues).toContainEqual({
      path: 'actions[1].lever',
      message: 'Too small: expected number to be >=0',
    });
    const compiled = issuesOf(
      smallCatalogDoc({
        actions: [
          action('X', 'I', 'G', { value: 'customer.age *', treatments: { fax: { title: 't' } } }),
          action('X', 'I', 'G', { suitability: 'context.intent == 3' }),
        ],
      }),
    );
    const paths = compiled.map((i) => i.path);
    expect(paths).toContain('actions[0].treatments.fax');
    expect(paths).toContain('actions[0].value');
    expect(paths).toContain('actions[1].id');
    expect(paths).toContain('actions[1].suitability');
  });

  it('rejects unknown fields in the file itself', () => {
    const doc = smallCatalogDoc();
    (doc.actions as Array<Record<string, unknown>>)[0]!.elegibility = 'true';
    expect(issuesOf(doc)).toEqual([
      { path: 'actions[0].elegibility', message: "unknown field 'elegibility'" },
    ]);
  });

  it('treatments are strict: an unknown key is an error (the flow-map comma case with a hint), own fields go under data', () => {
    const cut = parseCatalogSource(
      [
        'channels: [{ id: web }]',
        'actions:',
        '  - { id: A, name: A, issue: I, group: G, treatments: { web: { title: Your bill, explained, link: /b } } }',
      ].join('\n'),
    );
    expect(issuesOf(cut)).toEqual([
      {
        path: 'actions[0].treatments.web.explained',
        message:
          "unknown field 'explained' (an unquoted comma in a YAML flow map? quote the value: title: 'a, b')",
      },
    ]);
    const typo = smallCatalogDoc({
      actions: [action('A', 'I', 'G', { treatments: { web: { title: 'T', lnk: '/x' } } })],
    });
    expect(issuesOf(typo)).toEqual([
      { path: 'actions[0].treatments.web.lnk', message: "unknown field 'lnk'" },
    ]);
    const own = compileCatalog(
      smallCatalogDoc({
        actions: [
          action('A', 'I', 'G', {
            treatments: {
              web: { title: 'T', image: '/i.png', data: { button: 'Book now', slot: 3, urgent: true } },
            },
          }),
        ],
      }),
    );
    expect(own.actionsById.get('A')!.treatments.get('web')).toEqual({
      title: 'T',
      image: '/i.png',
      data: { button: 'Book now', slot: 3, urgent: true },
    });
  });

  it('a stored version with treatment keys older releases accepted still loads, without them, and lists them', () => {
    const doc = smallCatalogDoc({
      actions: [action('A', 'I', 'G', { treatments: { web: { title: 'T', cta: 'Go', explained: null } } })],
    });
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['actions[0].treatments.web']);
    const stored = compileCatalog(doc, { stored: true });
    expect(stored.actionsById.get('A')!.treatments.get('web')).toEqual({ title: 'T' });
    expect(stored.ignored.map((i) => i.path)).toEqual([
      'actions[0].treatments.web.cta',
      'actions[0].treatments.web.explained',
    ]);
    expect(compileCatalog(smallCatalogDoc(), { stored: true }).ignored).toEqual([]);
  });

  it('caps a lever at 100 as PATCH /v1/catalog/actions/:id does (one schema for both)', () => {
    const doc = smallCatalogDoc({ actions: [action('A', 'I', 'G', { lever: 150 })] });
    expect(issuesOf(doc).map((i) => i.path)).toEqual(['actions[0].lever']);
    expect(
      compileCatalog(smallCatalogDoc({ actions: [action('A', 'I', 'G', { lever: 100 })] })).actions[0]!.lever,
    ).toBe(100);
  });

  it('checks channels named by policies and weights', () => {
    const issues = issuesOf(
      smallCatalogDoc({
        contactPolicies: [{ id: 'p', type: 'maxContacts', count: 1, days: 1, channels: ['pigeon'] }],
        contextWeights: [{ channel: 'telex', weight: 2 }],
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'contactPolicies[0].channels[0]',
      'contextWeights[0].channel',
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    expect(() => parseCatalogSource('channels:\n  - id: web\n    name: [unclosed\n')).toThrow(
      /line \d+, column \d+/,
    );
  });

  it('gives the same version to the same content regardless of key order', () => {
    const a = compileCatalog(smallCatalogDoc());
    const reordered = Object.fromEntries(Object.entries(smallCatalogDoc()).reverse());
    expect(compileCatalog(reordered).version).toBe(a.version);
    expect(compileCatalog(smallCatalogDoc({ name: 'other' })).version).not.toBe(a.version);
  });
});

describe('shared models', () => {
  it('rejects a shared model with a learner that ignores features, or with two learners', () => {
    const base = smallCatalogDoc();
    expect(issuesOf({ ...base, learning: { learner: 'betaBinomial', shared: true } })[0]?.message).toMatch(
      /shared model needs a learner that reads features/,
    );
    const mixed = issuesOf({
      ...base,
      learning: {
        shared: true,
        learner: 'bayesianLogistic',
        overrides: [{ appliesTo: { action: 'R1' }, learner: 'adaptiveBinnedBayes' }],
      },
    });
    expect(mixed[0]).toMatchObject({ path: 'actions[3]' });
    expect(mixed[0]?.message).toMatch(/shares a model with 'A1' but asks for learner adaptiveBinnedBayes/);
  });

  it('routes actions to their own or a shared model; the first override that says shared decides', () => {
    const catalog = compileCatalog(
      smallCatalogDoc({
        learning: {
          learner: 'bayesianLogistic',
          overrides: [
            { appliesTo: { group: 'Loans' }, shared: false },
            { appliesTo: { issue: 'Sales' }, shared: true },
          ],
        },
      }),
    );
    const models = Object.fromEntries(catalog.actions.map((a) => [a.id, a.model]));
    expect(models.A1).toEqual(models.A2);
    expect(models.A1?.shared).toBe(true);
    expect(models.B1).toEqual({ key: 'B1', shared: false });
    expect(models.R1).toEqual({ key: 'R1', shared: false });
  });

  it('refuses sources nested deep enough to exhaust the YAML parser, again and again, with a clear message', () => {
    // A parser stack overflow, even caught, could abort the process on the next parse: the nesting is
    // refused before parsing, so any number of such uploads in a row is answered.
    const sources = [
      '['.repeat(5000),
      `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
      `${'- '.repeat(3000)}1`,
      Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'),
    ];
    for (let round = 0; round < 3; round++)
      for (const source of sources) expect(() => parseCatalogSource(source)).toThrow(/nested too deeply/);
    // Real catalogs nest a few levels.
    expect(() => parseCatalogSource(readFileSync('examples/telco/catalog.yaml', 'utf8'))).not.toThrow();
    expect(() => parseCatalogSource('a: *nothing')).toThrow(CatalogError);
  });
});
