// What `catalog validate` and the catalog routes point out about a valid catalog.
import type { Catalog } from './catalog.ts';
import type { CatalogIssue } from './catalogSchema.ts';

/**
 * What is valid but almost certainly a mistake, for `catalog validate` and the catalog routes to point out, and
 * what a stored version held that this release leaves out (catalog.ignored).
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
  warnings.push(...catalog.ignored);
  return warnings;
}
