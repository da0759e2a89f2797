// Answers in the caller's language (Accept-Language): catalog texts where the catalog translates them, reasons
// in the languages nextbest speaks; the codes and numbers stay the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedLanguages } from '../../src/server/lang.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { type Running, startServer } from './harness.ts';

let s: Running;
beforeAll(async () => {
  const doc = smallCatalogDoc({
    actions: [
      action('A1', 'Sales', 'Cards', {
        value: 10,
        description: 'A card',
        translations: {
          de: { name: 'Karte', description: 'Eine Karte', treatments: { web: { title: 'Ihre Karte' } } },
        },
      }),
    ],
  });
  s = await startServer(JSON.stringify(doc));
});
afterAll(async () => s.stop());

describe('languages', () => {
  it('reads Accept-Language as browsers send it: primary subtags by quality, q=0 left out', () => {
    expect(acceptedLanguages('de-CH, fr;q=0.8, en-GB;q=0.9, *;q=0.1')).toEqual(['de', 'en', 'fr']);
    expect(acceptedLanguages('fr;q=0, de')).toEqual(['de']);
    expect(acceptedLanguages(undefined)).toEqual([]);
    expect(acceptedLanguages(';;,q=x')).toEqual([]);
  });

  it("decides with the catalog's German texts for a German reader, and logs what was shown", async () => {
    const headers = { 'accept-language': 'de-DE,de;q=0.9' };
    const de = await s.call('POST', '/v1/decide', { body: { channel: 'web', limit: 1 }, headers });
    expect(de.body.actions[0]).toMatchObject({
      name: 'Karte',
      description: 'Eine Karte',
      treatment: { title: 'Ihre Karte' },
    });
    const en = await s.call('POST', '/v1/decide', { body: { channel: 'web', limit: 1 } });
    expect(en.body.actions[0]).toMatchObject({ name: 'Action A1', treatment: { title: 'A1 on web' } });
    const logged = await s.call('GET', `/v1/decisions/${de.body.decisionId}`);
    expect(logged.body.actions[0].treatment.title).toBe('Ihre Karte');
    // A language neither the catalog nor nextbest has: English.
    const fr = await s.call('POST', '/v1/decide', {
      body: { channel: 'web', limit: 1, explain: true },
      headers: { 'accept-language': 'fr' },
    });
    expect(fr.body.actions[0].name).toBe('Action A1');
    expect(fr.body.explanation.candidates[0].reason).toMatch(/^1st highest priority/);
  });
});
