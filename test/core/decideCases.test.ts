// Decision behaviour pinned as data: each file in test/cases is a request and its expected result.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { decide } from '../../src/core/decide.ts';
import { mulberry32 } from '../../src/core/random.ts';
import type { Attributes, InteractionRecord } from '../../src/core/types.ts';
import { EpsilonGreedy } from '../../src/learn/explore/epsilonGreedy.ts';
import { smallCatalogDoc } from '../helpers.ts';

interface Case {
  description: string;
  catalog?: Record<string, unknown>;
  request: { channel: string; customer?: Attributes; context?: Attributes; limit?: number; now: string };
  history?: Array<Omit<InteractionRecord, 'at'> & { at: string }>;
  budgetUsage?: Record<string, { today: number; total: number }>;
  propensities: Record<string, number>;
  expected: { chosen: string[]; dropped?: Record<string, string> };
}

const dir = join(import.meta.dirname, '..', 'cases');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('decision cases', () => {
  it('has cases', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case;
    it(`${file}: ${c.description}`, () => {
      const catalog = compileCatalog(smallCatalogDoc(c.catalog ?? {}));
      const result = decide({
        catalog,
        channel: c.request.channel,
        customer: c.request.customer ?? {},
        features: {},
        context: c.request.context ?? {},
        history: (c.history ?? []).map((h) => ({ ...h, at: Date.parse(h.at) })),
        budgetUsage: new Map(Object.entries(c.budgetUsage ?? {})),
        limit: c.request.limit ?? 3,
        now: Date.parse(c.request.now),
        rng: mulberry32(1),
        explorer: new EpsilonGreedy(0),
        propensity: (a) => ({ propensity: c.propensities[a.id] ?? 0, logitSd: 0 }),
        round: 0,
      });
      expect(result.chosen.map((x) => x.actionId)).toEqual(c.expected.chosen);
      if (c.expected.dropped) {
        expect(Object.fromEntries(result.dropped.map((d) => [d.actionId, d.stage]))).toEqual(
          c.expected.dropped,
        );
      }
    });
  }
});
