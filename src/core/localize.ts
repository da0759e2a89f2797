// An action's texts for a reader: the first language they ask for that the catalog has (its own language or an
// action's translation), else the catalog's own texts. Per action: one action may be translated, another not.
import type { Catalog, CompiledAction } from './catalog.ts';
import type { Treatment } from './types.ts';

/** The language an action's texts come in for a reader of `languages` (best first). */
export function contentLanguage(catalog: Catalog, action: CompiledAction, languages: readonly string[] = []) {
  const own = catalog.definition.language;
  for (const l of languages) if (l === own || action.translations.has(l)) return l;
  return own;
}

/** The action's name, description and the treatment on `channel` in the reader's language. */
export function localize(
  catalog: Catalog,
  action: CompiledAction,
  channel: string,
  languages: readonly string[] = [],
): { language: string; name: string; description: string; treatment: Treatment | undefined } {
  const language = contentLanguage(catalog, action, languages);
  const tr = action.translations.get(language);
  const base = action.treatments.get(channel);
  const texts = tr?.treatments?.[channel];
  return {
    language,
    name: tr?.name ?? action.name,
    description: tr?.description ?? action.description,
    treatment: base && texts ? { ...base, ...texts } : base,
  };
}
