// Catalog translations: an action's texts in the reader's language, checked when the catalog is compiled.
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { contentLanguage, localize } from '../../src/core/localize.ts';
import { action, smallCatalogDoc } from '../helpers.ts';

const translated = action('A1', 'Sales', 'Cards', {
  description: 'A card',
  translations: {
    de: { name: 'Aktion A1', treatments: { web: { title: 'A1 im Web' } } },
    fr: { description: 'Une carte' },
  },
});
const doc = smallCatalogDoc({ actions: [translated, action('B1', 'Service', 'Help')] });

describe('catalog translations', () => {
  const catalog = compileCatalog(doc);
  const a1 = catalog.actionsById.get('A1')!;
  const b1 = catalog.actionsById.get('B1')!;

  it("gives the first asked language the action has, else the catalog's own, per action", () => {
    expect(contentLanguage(catalog, a1, ['it', 'de', 'fr'])).toBe('de');
    expect(contentLanguage(catalog, a1, ['en', 'de'])).toBe('en');
    expect(contentLanguage(catalog, b1, ['de'])).toBe('en');
    expect(contentLanguage(catalog, a1, [])).toBe('en');
  });

  it('replaces what a translation gives and keeps the rest', () => {
    expect(localize(catalog, a1, 'web', ['de'])).toEqual({
      language: 'de',
      name: 'Aktion A1',
      description: 'A card',
      treatment: { title: 'A1 im Web' },
    });
    // No German treatment for email: the catalog's own, the name still German.
    expect(localize(catalog, a1, 'email', ['de'])).toMatchObject({
      name: 'Aktion A1',
      treatment: { title: 'A1 by email' },
    });
    expect(localize(catalog, a1, 'web', ['fr'])).toMatchObject({
      name: 'Action A1',
      description: 'Une carte',
    });
    expect(localize(catalog, b1, 'web', ['de'])).toMatchObject({ language: 'en', name: 'Action B1' });
  });

  it('names a translation of a channel the action has no treatment for, of its own language, or a bad code', () => {
    const bad = (translations: unknown) => () =>
      compileCatalog(smallCatalogDoc({ actions: [action('A1', 'Sales', 'Cards', { translations })] }));
    expect(bad({ de: { treatments: { sms: { title: 'SMS' } } } })).toThrow(
      /actions\[0\]\.translations\.de\.treatments\.sms: the action has no treatment for channel 'sms'/,
    );
    expect(bad({ en: { name: 'Again' } })).toThrow(
      /actions\[0\]\.translations\.en: 'en' is the catalog's own language/,
    );
    expect(bad({ German: { name: 'Aktion' } })).toThrow(/translations/);
    expect(bad({ de: { title: 'stray key' } })).toThrow(/translations\.de/);
  });
});
