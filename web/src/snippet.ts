// The browser snippet for web pages and apps: one script tag renders the next best action into the page's
// placeholders with its treatment and reports impressions (when an offer is half in view), clicks and
// dismissals by itself. It uses a publishable key (public by nature: it may only decide and report on its
// channels, from its origins) and names a known customer by a token the site's backend signs, never by an id.
//
//   <div data-nextbest></div>
//   <script src="https://nba.example.com/snippet.js" data-key="nbp_…" data-channel="web"
//           data-customer-token="…" data-context='{"page":"home"}' async></script>
//
// Without data-key it only defines window.nextbest.render(options) for pages that start it themselves.
import type { Schemas } from '../../src/client/index.ts';

type Lang = 'en' | 'de';
type Offer = Schemas['Decision']['actions'][number];
type PageOutcome = 'impression' | 'click' | 'accept' | 'reject';

/** The snippet's own words; the offers' words come from the catalog in the page's language. */
const WORDS: Record<Lang, { more: string; dismiss: string; dismissLabel: string }> = {
  en: { more: 'Learn more', dismiss: 'No thanks', dismissLabel: 'No thanks, hide this offer' },
  de: { more: 'Mehr erfahren', dismiss: 'Nein danke', dismissLabel: 'Nein danke, Angebot ausblenden' },
};

export interface SnippetOptions {
  /** A publishable key (nbp_…). */
  key: string;
  /** The inbound channel the page is (web, app, …). */
  channel: string;
  /** The signed customer token from the site's backend; none for an anonymous visitor. */
  customerToken?: string | undefined;
  /** Placement and intent, visible to the catalog's rules as context.*. */
  context?: Record<string, unknown> | undefined;
  /** Language of the offers and the snippet's words (default: the page's). */
  lang?: string | undefined;
  /** Where nextbest answers (default: where the snippet was loaded from). */
  baseUrl?: string | undefined;
  /** The placeholders (default: every [data-nextbest] element, one offer each, in page order). */
  placeholders?: readonly HTMLElement[] | undefined;
  /** How long to wait for a decision before the placeholders keep their own content (ms, default 3000). */
  timeoutMs?: number | undefined;
}

export interface Rendered {
  decisionId: string;
  offers: Array<{ actionId: string; element: HTMLElement; report: (outcome: PageOutcome) => Promise<void> }>;
}

const loadedFrom = (() => {
  const script = document.currentScript as HTMLScriptElement | null;
  return script?.src ? { script, origin: new URL(script.src).origin } : undefined;
})();

function langOf(wanted: string | undefined): Lang {
  const tag = (wanted || document.documentElement.lang || navigator.language || 'en').toLowerCase();
  return tag.startsWith('de') ? 'de' : 'en';
}

/** Only web addresses become links and images (a treatment's `javascript:` link would run in the page). */
function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value, document.baseURI);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Decides once for all placeholders and fills each with one offer; a placeholder without one keeps its content. */
export async function render(options: SnippetOptions): Promise<Rendered | undefined> {
  const base = (options.baseUrl ?? loadedFrom?.origin ?? location.origin).replace(/\/$/, '');
  const places = options.placeholders ?? [...document.querySelectorAll<HTMLElement>('[data-nextbest]')];
  if (places.length === 0) return undefined;
  const lang = langOf(options.lang);
  const words = WORDS[lang];
  const headers = {
    authorization: `Bearer ${options.key}`,
    'content-type': 'application/json',
    'accept-language': options.lang ?? lang,
  };
  const aborted = new AbortController();
  const timer = setTimeout(() => aborted.abort(), options.timeoutMs ?? 3000);
  let decision: Schemas['Decision'];
  try {
    const answer = await fetch(`${base}/v1/decide`, {
      method: 'POST',
      headers,
      signal: aborted.signal,
      body: JSON.stringify({
        channel: options.channel,
        limit: Math.min(places.length, 100),
        ...(options.customerToken ? { customerToken: options.customerToken } : {}),
        ...(options.context ? { context: options.context } : {}),
      }),
    });
    if (!answer.ok)
      throw new Error(`${answer.status} ${(await answer.json().catch(() => ({}))).error ?? ''}`);
    decision = (await answer.json()) as Schemas['Decision'];
  } catch (error) {
    for (const place of places) place.dataset.nextbestState = 'error';
    console.warn('nextbest: no decision, the placeholders keep their content:', error);
    return undefined;
  } finally {
    clearTimeout(timer);
  }

  const report = (actionId: string, outcome: PageOutcome) =>
    fetch(`${base}/v1/outcomes`, {
      method: 'POST',
      headers,
      // A click that navigates away still reaches the server.
      keepalive: true,
      body: JSON.stringify({ decisionId: decision.decisionId, actionId, outcome }),
    }).then(
      (r) => {
        if (!r.ok) console.warn(`nextbest: the ${outcome} of ${actionId} was not recorded (${r.status})`);
      },
      (error: unknown) => console.warn(`nextbest: the ${outcome} of ${actionId} was not recorded:`, error),
    );

  const seen = new Set<string>();
  const onceSeen = (actionId: string) => {
    if (seen.has(actionId)) return;
    seen.add(actionId);
    void report(actionId, 'impression');
  };
  const observer =
    'IntersectionObserver' in window
      ? new IntersectionObserver(
          (entries) => {
            for (const entry of entries)
              if (entry.isIntersecting) {
                onceSeen((entry.target as HTMLElement).dataset.actionId ?? '');
                observer?.unobserve(entry.target);
              }
          },
          { threshold: 0.5 },
        )
      : undefined;

  const offers: Rendered['offers'] = [];
  places.forEach((place, i) => {
    const offer: Offer | undefined = decision.actions[i];
    if (!offer) {
      place.dataset.nextbestState = 'empty';
      return;
    }
    const box = offerElement(offer, words, (outcome) => report(offer.actionId, outcome));
    box.dataset.decisionId = decision.decisionId;
    place.replaceChildren(box);
    place.dataset.nextbestState = 'rendered';
    if (observer) observer.observe(box);
    else onceSeen(offer.actionId);
    offers.push({
      actionId: offer.actionId,
      element: box,
      report: (outcome) => report(offer.actionId, outcome),
    });
    place.dispatchEvent(
      new CustomEvent('nextbest:rendered', {
        bubbles: true,
        detail: { decisionId: decision.decisionId, actionId: offer.actionId },
      }),
    );
  });
  return { decisionId: decision.decisionId, offers };
}

/** One offer: its image, title, text, link and a way to say no thanks, as text (never as HTML). */
function offerElement(
  offer: Offer,
  words: (typeof WORDS)[Lang],
  report: (outcome: PageOutcome) => Promise<void>,
): HTMLElement {
  const t = offer.treatment;
  const box = element('div', 'nextbest-offer');
  box.dataset.actionId = offer.actionId;
  const image = webUrl(t.image);
  if (image) {
    const img = element('img', 'nextbest-image');
    img.src = image;
    img.alt = '';
    box.append(img);
  }
  box.append(element('strong', 'nextbest-title', String(t.title ?? offer.name)));
  if (t.text) box.append(element('p', 'nextbest-text', String(t.text)));
  const link = webUrl(t.link);
  if (link) {
    const a = element('a', 'nextbest-link', words.more);
    a.href = link;
    a.addEventListener('click', () => void report('click'));
    box.append(a);
  }
  const dismiss = element('button', 'nextbest-dismiss', words.dismiss);
  dismiss.type = 'button';
  dismiss.setAttribute('aria-label', words.dismissLabel);
  dismiss.addEventListener('click', () => {
    void report('reject');
    box.remove();
  });
  box.append(dismiss);
  return box;
}

declare global {
  interface Window {
    nextbest?: { render: typeof render };
  }
}
window.nextbest = { render };

// One script tag: started from its own data attributes once the page is parsed.
const script = loadedFrom?.script;
if (script?.dataset.key) {
  const { key, channel, customerToken, context, lang } = script.dataset;
  const start = () => {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = context ? (JSON.parse(context) as Record<string, unknown>) : undefined;
    } catch {
      console.warn('nextbest: data-context is not JSON; deciding without it');
    }
    void render({ key, channel: channel ?? 'web', customerToken, context: parsed, lang });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
