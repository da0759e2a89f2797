// English and German texts of the dashboard and the agent page; the choice is kept per browser.
const EN = {
  title: 'nextbest dashboard',
  agentTitle: 'nextbest agent assist',
  overview: 'Overview',
  actions: 'Actions',
  models: 'Models',
  decisions: 'Decisions',
  keyPrompt: 'API key',
  keyHint:
    'The admin key the server printed at start, or a key with the read scope (the agent page also needs decide and outcomes). Kept in this browser.',
  keySave: 'Use key',
  keyWrong: 'Wrong key: the server refused it. Enter the key the server printed.',
  keyMissing: 'Enter an API key to see the data.',
  keyScope: 'This key may not do this; the server says:',
  signOut: 'Forget key',
  window: 'Window',
  last5m: 'last 5 minutes',
  last1h: 'last hour',
  last24h: 'last 24 hours',
  last30d: 'last 30 days',
  decisionsPerSecond: 'Decisions / s',
  acceptAdaptive: 'Accept rate, adaptive',
  acceptControl: 'Accept rate, control',
  acceptBusinessRule: 'Accept rate, business rule',
  lift: 'Lift over control',
  valuePerDecision: 'Value per decision',
  liftPlot: 'Accept rate per arm over time (cumulative, 95 % interval)',
  liftOverTime: 'Lift of adaptive over control (cumulative, 95 % interval)',
  adaptive: 'adaptive',
  control: 'control',
  businessRule: 'business rule',
  noData: 'No decisions in this window yet.',
  action: 'Action',
  issue: 'Issue',
  group: 'Group',
  offers: 'Offers',
  accepts: 'Accepts',
  acceptRatePerOffer: 'Accept rate per offer',
  acceptRatePerResponse: 'Accept rate per answered offer',
  value: 'Value',
  lever: 'Lever',
  budgetPerDay: 'Budget / day',
  save: 'Save',
  saved: 'Saved as catalog version',
  model: 'Model',
  learner: 'Learner',
  responses: 'Responses',
  maturity: 'Maturity',
  maturityCold: 'cold',
  maturityLearning: 'learning',
  maturityMature: 'mature',
  arm: 'Arm',
  auc: 'AUC',
  outcome_impression: 'seen',
  outcome_click: 'clicked',
  outcome_accept: 'accepted',
  outcome_reject: 'rejected',
  outcome_convert: 'converted',
  aucInWindow: 'AUC in window',
  answeredInWindow: 'Answered in window',
  calibration: 'Calibration: predicted vs observed',
  ece: 'calibration error (ECE)',
  calibrationSlope: 'calibration slope',
  interval95: '95 % interval',
  predicted: 'predicted',
  observed: 'observed',
  importance: 'Predictor importance',
  decisionId: 'Decision id',
  recentDecisions: 'Recent decisions',
  journeys: 'Journeys',
  npsByTouchpoint: 'NPS per touchpoint',
  npsByAction: 'NPS per action taken before the survey',
  proactive: 'Proactive contacts (triggers)',
  contactsPerChannel: 'Contacts per customer and channel',
  nps: 'NPS',
  csat: 'CSAT',
  responsesShort: 'answers',
  nTooSmall: 'n too small for an interval',
  nTooSmallShort: 'n too small',
  trigger: 'Trigger',
  messages: 'Messages',
  delivered: 'Delivered',
  answered: 'Answered',
  positiveRate: 'Positive rate',
  hoursToOutcome: 'Hours event → answer (median)',
  contacts: 'Contacts',
  customers: 'Customers',
  perCustomer: 'Per customer (mean / p90 / max)',
  noSurveys: 'The catalog declares no surveys (events.surveys).',
  customer: 'Customer',
  channel: 'Channel',
  time: 'Time',
  explain: 'Explain',
  status: 'Status',
  reason: 'Reason',
  priority: 'Priority',
  propensity: 'Propensity',
  topFeatures: 'What moved the propensity',
  chosen: 'chosen',
  notChosen: 'ranked out',
  dropped: 'dropped',
  searchCustomer: 'Customer id',
  search: 'Search',
  profile: 'Profile',
  features: 'From events',
  timeline: 'Recent timeline',
  openTriggers: 'Open proactive contacts',
  none: 'none',
  nextBestActions: 'Next best actions',
  accept: 'Accept',
  reject: 'Reject',
  notNow: 'Not now',
  recorded: 'Recorded',
  keyboardHelp: 'Keys: / search · 1–3 pick an action · A accept · R reject · N not now',
  unknownCustomer: 'No customer with this id.',
  language: 'Language',
  audit: 'Audit trail',
  auditEmpty: 'No audited changes yet.',
  auditAction: 'Change',
  auditTarget: 'Target',
  auditKey: 'Key',
  auditSummary: 'What changed',
} as const;

export type TextKey = keyof typeof EN;

const DE: Record<TextKey, string> = {
  title: 'nextbest Dashboard',
  agentTitle: 'nextbest Agenten-Assistent',
  overview: 'Übersicht',
  actions: 'Aktionen',
  models: 'Modelle',
  decisions: 'Entscheidungen',
  keyPrompt: 'API-Schlüssel',
  keyHint:
    'Der Admin-Schlüssel, den der Server beim Start ausgegeben hat, oder ein Schlüssel mit dem Recht „read“ (die Agentenseite braucht auch „decide“ und „outcomes“). Bleibt in diesem Browser gespeichert.',
  keySave: 'Schlüssel verwenden',
  keyWrong:
    'Falscher Schlüssel: Der Server hat ihn abgelehnt. Bitte den beim Start ausgegebenen Schlüssel eingeben.',
  keyMissing: 'Bitte einen API-Schlüssel eingeben, um die Daten zu sehen.',
  keyScope: 'Dieser Schlüssel darf das nicht; der Server meldet:',
  signOut: 'Schlüssel vergessen',
  window: 'Zeitraum',
  last5m: 'letzte 5 Minuten',
  last1h: 'letzte Stunde',
  last24h: 'letzte 24 Stunden',
  last30d: 'letzte 30 Tage',
  decisionsPerSecond: 'Entscheidungen / s',
  acceptAdaptive: 'Annahmequote, adaptiv',
  acceptControl: 'Annahmequote, Kontrollgruppe',
  acceptBusinessRule: 'Annahmequote, Geschäftsregel',
  lift: 'Uplift gegenüber Kontrolle',
  valuePerDecision: 'Wert pro Entscheidung',
  liftPlot: 'Annahmequote je Gruppe im Zeitverlauf (kumuliert, 95-%-Intervall)',
  liftOverTime: 'Uplift adaptiv gegenüber Kontrolle (kumuliert, 95-%-Intervall)',
  adaptive: 'adaptiv',
  control: 'Kontrolle',
  businessRule: 'Geschäftsregel',
  noData: 'In diesem Zeitraum gibt es noch keine Entscheidungen.',
  action: 'Aktion',
  issue: 'Thema',
  group: 'Gruppe',
  offers: 'Angebote',
  accepts: 'Annahmen',
  acceptRatePerOffer: 'Annahmequote je Angebot',
  acceptRatePerResponse: 'Annahmequote je beantwortetem Angebot',
  value: 'Wert',
  lever: 'Hebel',
  budgetPerDay: 'Budget / Tag',
  save: 'Speichern',
  saved: 'Gespeichert als Katalogversion',
  model: 'Modell',
  learner: 'Lernverfahren',
  responses: 'Antworten',
  maturity: 'Reife',
  maturityCold: 'kalt',
  maturityLearning: 'lernend',
  maturityMature: 'ausgereift',
  arm: 'Gruppe',
  auc: 'AUC',
  outcome_impression: 'gesehen',
  outcome_click: 'geklickt',
  outcome_accept: 'angenommen',
  outcome_reject: 'abgelehnt',
  outcome_convert: 'abgeschlossen',
  aucInWindow: 'AUC im Zeitfenster',
  answeredInWindow: 'Beantwortet im Zeitfenster',
  calibration: 'Kalibrierung: vorhergesagt gegen beobachtet',
  ece: 'Kalibrierungsfehler (ECE)',
  calibrationSlope: 'Kalibrierungssteigung',
  interval95: '95-%-Intervall',
  predicted: 'vorhergesagt',
  observed: 'beobachtet',
  importance: 'Bedeutung der Merkmale',
  decisionId: 'Entscheidungs-ID',
  recentDecisions: 'Letzte Entscheidungen',
  journeys: 'Kundenreisen',
  npsByTouchpoint: 'NPS je Kontaktpunkt',
  npsByAction: 'NPS je Aktion vor der Umfrage',
  proactive: 'Proaktive Kontakte (Auslöser)',
  contactsPerChannel: 'Kontakte je Kunde und Kanal',
  nps: 'NPS',
  csat: 'CSAT',
  responsesShort: 'Antworten',
  nTooSmall: 'n zu klein für ein Intervall',
  nTooSmallShort: 'n zu klein',
  trigger: 'Auslöser',
  messages: 'Nachrichten',
  delivered: 'Zugestellt',
  answered: 'Beantwortet',
  positiveRate: 'Positive Quote',
  hoursToOutcome: 'Stunden Ereignis → Antwort (Median)',
  contacts: 'Kontakte',
  customers: 'Kunden',
  perCustomer: 'Je Kunde (Mittel / p90 / Max)',
  noSurveys: 'Der Katalog deklariert keine Umfragen (events.surveys).',
  customer: 'Kunde',
  channel: 'Kanal',
  time: 'Zeit',
  explain: 'Erklären',
  status: 'Status',
  reason: 'Begründung',
  priority: 'Priorität',
  propensity: 'Annahmewahrscheinlichkeit',
  topFeatures: 'Was die Wahrscheinlichkeit bewegt hat',
  chosen: 'gewählt',
  notChosen: 'nachrangig',
  dropped: 'ausgeschieden',
  searchCustomer: 'Kunden-ID',
  search: 'Suchen',
  profile: 'Profil',
  features: 'Aus Ereignissen',
  timeline: 'Letzte Ereignisse',
  openTriggers: 'Offene proaktive Kontakte',
  none: 'keine',
  nextBestActions: 'Nächste beste Aktionen',
  accept: 'Annehmen',
  reject: 'Ablehnen',
  notNow: 'Nicht jetzt',
  recorded: 'Erfasst',
  keyboardHelp: 'Tasten: / Suche · 1–3 Aktion wählen · A annehmen · R ablehnen · N nicht jetzt',
  unknownCustomer: 'Kein Kunde mit dieser ID.',
  language: 'Sprache',
  audit: 'Änderungsprotokoll',
  auditEmpty: 'Noch keine protokollierten Änderungen.',
  auditAction: 'Änderung',
  auditTarget: 'Ziel',
  auditKey: 'Schlüssel',
  auditSummary: 'Was sich geändert hat',
};

export type Lang = 'en' | 'de';
const TEXTS: Record<Lang, Record<TextKey, string>> = { en: EN, de: DE };

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
