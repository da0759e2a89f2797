// The pages' language: the choice (kept per browser), translation of the page, numbers and dates via Intl.
import type { Lang } from '../../src/core/reasons.ts';
import { EN, TEXTS, type TextKey } from './texts.ts';

export type { Lang, TextKey };

export function currentLang(): Lang {
  return localStorage.getItem('nextbest.lang') === 'de' ? 'de' : 'en';
}

export function t(key: TextKey): string {
  return TEXTS[currentLang()][key];
}

/** Fills every element with data-i18n="key" and sets the document language. */
export function translatePage(): void {
  document.documentElement.lang = currentLang();
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n as TextKey);
  }
  for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria as TextKey));
  }
  for (const el of document.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder as TextKey);
  }
}

/** A language switch (EN/DE buttons) that re-renders through `onChange`. */
export function languageSwitch(container: HTMLElement, onChange: () => void): void {
  container.replaceChildren();
  for (const lang of ['en', 'de'] as const) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = lang.toUpperCase();
    b.dataset.lang = lang;
    b.className = currentLang() === lang ? 'lang active' : 'lang';
    b.addEventListener('click', () => {
      localStorage.setItem('nextbest.lang', lang);
      languageSwitch(container, onChange);
      translatePage();
      onChange();
    });
    container.append(b);
  }
}

export function percent(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return `${new Intl.NumberFormat(currentLang(), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(100 * x)} %`;
}

export function number(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return new Intl.NumberFormat(currentLang(), {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(x);
}

/** An amount in the catalog's currency (ISO 4217), or a plain number when the catalog names none. */
export function money(x: number | null | undefined, currency: string | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (!currency) return number(x, digits);
  return new Intl.NumberFormat(currentLang(), {
    style: 'currency',
    currency,
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(x);
}

/** A time of day in the page's language (24-hour clock in German). */
export function clockTime(iso: string | number): string {
  return new Intl.DateTimeFormat(currentLang(), { timeStyle: 'medium' }).format(new Date(iso));
}

/** A date and time in the page's language. */
export function dateTime(iso: string | number): string {
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: 'medium', timeStyle: 'medium' }).format(
    new Date(iso),
  );
}

/** An outcome's name (impression, click, accept, reject, convert) in the page's language. */
export function outcomeText(outcome: string | undefined): string {
  const key = `outcome_${outcome}`;
  return key in EN ? t(key as TextKey) : String(outcome ?? '');
}
