// The dashboard: overview (accept rate per arm over time, lift, value), actions (KPIs per action, levers and
// budgets), models (AUC, calibration, predictor importance), decisions (the explorer), journeys and the audit
// trail; one module per tab under dashboard/. Public API only, through the typed client.

import { adminKey } from './api.ts';
import { actions } from './dashboard/actions.ts';
import { auditTab } from './dashboard/audit.ts';
import { $, handle, whenKeyRefused } from './dashboard/common.ts';
import { explain, recentDecisions } from './dashboard/decisions.ts';
import { journeys } from './dashboard/journeys.ts';
import { models } from './dashboard/models.ts';
import { overview } from './dashboard/overview.ts';
import { languageSwitch } from './i18n.ts';
import { keyedPage } from './keyGate.ts';

let tab = 'overview';
let timer: number | undefined;
const page = keyedPage(() => {
  select(tab);
  if (timer === undefined) timer = window.setInterval(() => tab === 'overview' && void refresh(), 5000);
});
whenKeyRefused(page.wrongKey);

function select(name: string) {
  tab = name;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button'))
    b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll<HTMLElement>('.tab')) s.hidden = s.id !== `tab-${name}`;
  void refresh();
}

async function refresh() {
  if (!adminKey.get()) {
    page.start();
    return;
  }
  if (tab === 'overview') await overview();
  else if (tab === 'actions') await actions();
  else if (tab === 'models') await models();
  else if (tab === 'decisions') await recentDecisions();
  else if (tab === 'journeys') await journeys();
  else if (tab === 'audit')
    await auditTab($<HTMLTableElement>('#audit-table'), $('#audit-message'), (e) =>
      handle(e, $('#audit-message')),
    );
}

// ---- start ----------------------------------------------------------------------------------------------

languageSwitch($('#lang'), () => void refresh());
for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button'))
  b.addEventListener('click', () => select(b.dataset.tab!));
$('#window').addEventListener('change', () => void refresh());
$('#decision-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void explain($<HTMLInputElement>('#decision-id').value.trim());
});
const fromHash = /decision=([^&]+)/.exec(location.hash);
if (fromHash) {
  tab = 'decisions';
  $<HTMLInputElement>('#decision-id').value = decodeURIComponent(fromHash[1]!);
  void explain(decodeURIComponent(fromHash[1]!));
}
page.start();
