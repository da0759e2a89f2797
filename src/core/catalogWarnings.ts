// What `catalog validate` and the catalog routes point out about a valid catalog.
import type { Catalog } from './catalog.ts';
import type { CatalogIssue } from './catalogSchema.ts';

/**
 * What is valid but almost certainly a mistake, for `catalog validate` to point out: a treatment key without a
 * value is what an unquoted comma in a YAML flow map makes of the rest of a title (`{ title: Your bill,
 * explained }` is the title "Your bill" and a key "explained"). Only warned: stored catalogs keep loading.
 */
export function catalogWarnings(catalog: Catalog): CatalogIssue[] {
  const warnings: CatalogIssue[] = [];
  const m = catalog.definition.measurement;
  for (const [channel, shares] of Object.entries(m.channels))
    if (shares.controlShare !== undefined || shares.businessRuleShare !== undefined)
      warnings.push({
        path: `measurement.channels.${channel}`,
        message:
          'ignored: a customer is in one arm on every channel (a share per channel would put control customers ' +
          'in the adaptive arm elsewhere); set controlShare and businessRuleShare for all channels',
      });
  catalog.definition.actions.forEach((action, i) => {
    for (const [channel, treatment] of Object.entries(action.treatments))
      for (const [key, value] of Object.entries(treatment as Record<string, unknown>))
        if (value === null)
          warnings.push({
            path: `actions[${i}].treatments.${channel}.${key}`,
            message: `no value: an unquoted comma in a flow map? Quote the text before it ('…, ${key}')`,
          });
  });
  return warnings;
}
