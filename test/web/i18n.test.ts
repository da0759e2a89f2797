// Every text of the pages exists in every language the server speaks, and none is left in English.
import { describe, expect, it } from 'vitest';
import { LANGS } from '../../src/core/reasons.ts';
import { TEXTS } from '../../web/src/texts.ts';

/** Texts that are the same word in German (abbreviations, loan words). */
const SAME_IN_GERMAN = new Set(['auc', 'nps', 'csat', 'status']);

describe('page texts', () => {
  it('has every key in every language, none empty', () => {
    expect(Object.keys(TEXTS).sort()).toEqual([...LANGS].sort());
    const keys = Object.keys(TEXTS.en).sort();
    for (const lang of LANGS) {
      expect(Object.keys(TEXTS[lang]).sort(), lang).toEqual(keys);
      for (const k of keys)
        expect(TEXTS[lang][k as keyof typeof TEXTS.en].trim(), `${lang}.${k}`).not.toBe('');
    }
  });

  it('translates every German text (only known loan words stay as in English)', () => {
    const untranslated = Object.entries(TEXTS.en)
      .filter(([k, v]) => TEXTS.de[k as keyof typeof TEXTS.en] === v && !SAME_IN_GERMAN.has(k))
      .map(([k]) => k);
    expect(untranslated).toEqual([]);
  });
});
