// Bins of integer values by table: most numeric predictors in practice hold integers (counts, ages, days,
// codes), and a table lookup finds their bin without searching the cuts. Shared by the binned learner's flat
// view and the pair corrections' coders.

/** Most integers one table covers (a table is one byte per integer). */
export const MAX_TABLE_WIDTH = 256;

/**
 * Each integer's bin, from the first cut's floor to one past the last cut's ceiling (every integer beyond is
 * past all cuts, every one below before them), or undefined when that span is wider than `maxWidth`.
 */
export function integerBinTable(
  cuts: readonly number[],
  binOf: (v: number) => number,
  maxWidth = MAX_TABLE_WIDTH,
): { low: number; table: Uint8Array } | undefined {
  if (cuts.length === 0) return undefined;
  const low = Math.floor(cuts[0]!);
  const width = Math.ceil(cuts[cuts.length - 1]!) - low + 2;
  if (!(width <= maxWidth) || !Number.isSafeInteger(low)) return undefined;
  const table = new Uint8Array(width);
  for (let j = 0; j < width; j++) table[j] = binOf(low + j);
  return { low, table };
}
