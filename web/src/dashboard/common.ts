// What the dashboard's tabs share: element lookup, error display, charts that replace their predecessor, tiles,
// intervals that say when n is too small, and the API's English names shown in the page's language.
import { Chart, type ChartConfiguration, registerables } from 'chart.js';
import { ApiError, esc, nb, ok, type Schemas } from '../api.ts';
import { currentLang, t } from '../i18n.ts';

Chart.register(...registerables);

export const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

let onWrongKey = () => {};
/** What a 401 does (the key gate asks again); set once by the page. */
export function whenKeyRefused(f: () => void): void {
  onWrongKey = f;
}

/** Shows an API error in `where`: a refused key goes back to the gate, a 403 says the key lacks the scope. */
export function handle(error: unknown, where: HTMLElement): void {
  if (error instanceof ApiError && error.status === 401) {
    onWrongKey();
    return;
  }
  const scope = error instanceof ApiError && error.status === 403 ? `${t('keyScope')} ` : '';
  where.textContent = scope + (error instanceof Error ? error.message : String(error));
  where.className = 'error';
}

/** The time window the user chose, as the API's `from` (and `to`) query. */
export function windowRange(): { from: string; to: string } {
  const seconds = Number($<HTMLSelectElement>('#window').value);
  const to = Date.now();
  return { from: new Date(to - seconds * 1000).toISOString(), to: new Date(to).toISOString() };
}

const charts = new Map<string, Chart>();
export function chart(id: string, config: ChartConfiguration): Chart {
  charts.get(id)?.destroy();
  const c = new Chart($<HTMLCanvasElement>(`#${id}`), config) as unknown as Chart;
  charts.set(id, c);
  return c;
}

/** A figure tile: label, value, a line of detail; `testid` names it for the browser tests. */
export function tile(label: string, value: string, sub = '', testid = ''): string {
  return `<div class="tile" ${testid ? `data-testid="${testid}"` : ''}><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="sub">${esc(sub)}</div></div>`;
}

/** A model's maturity and a measurement arm in the page's language (the API sends their English names). */
export function maturityText(maturity: string): string {
  const keys: Record<string, 'maturityCold' | 'maturityLearning' | 'maturityMature'> = {
    cold: 'maturityCold',
    learning: 'maturityLearning',
    mature: 'maturityMature',
  };
  return keys[maturity] ? t(keys[maturity]) : maturity;
}
export function armText(arm: string): string {
  return arm === 'adaptive' || arm === 'control' || arm === 'businessRule' ? t(arm) : arm;
}

/** Below this many observations an interval says so instead of showing bounds that mean little. */
export const MIN_INTERVAL_N = 10;

/** A 95 % interval as text, or "n too small" when it rests on fewer than MIN_INTERVAL_N observations. */
export function interval(
  ci: readonly [number, number] | readonly (number | null)[] | null | undefined,
  n: number | undefined,
  show: (x: number | undefined) => string,
  unit = '',
): string {
  if ((n ?? 0) < MIN_INTERVAL_N) return t('nTooSmall');
  return ci ? `95 %: ${show(ci[0] ?? undefined)} … ${show(ci[1] ?? undefined)}${unit}` : '';
}

/** The active catalog (for names in the page's language and the currency of values), read once per version. */
let catalogRead: Promise<Schemas['Catalog']> | undefined;
export function activeCatalog(fresh = false): Promise<Schemas['Catalog']> {
  if (fresh || !catalogRead) {
    catalogRead = ok(nb.GET('/v1/catalog'));
    catalogRead.catch(() => {
      catalogRead = undefined;
    });
  }
  return catalogRead;
}

/** An action's name in the page's language, where the catalog translates it. */
export function actionName(action: Schemas['Catalog']['catalog']['actions'][number]): string {
  return action.translations?.[currentLang()]?.name ?? action.name;
}

/** Chart.js skips category labels that do not fit; these charts name every bar. */
export const EVERY_LABEL = { autoSkip: false } as const;
