// The dashboard's audit tab: who changed the catalog or customer data, when, and what changed.
import { esc, nb, ok, type Schemas } from '../api.ts';
import { dateTime, t } from '../i18n.ts';

export async function auditTab(table: HTMLTableElement, message: HTMLElement, onError: (e: unknown) => void) {
  let page: Schemas['AuditLog'];
  try {
    page = await ok(nb.GET('/v1/audit', { params: { query: { limit: 100 } } }));
  } catch (error) {
    onError(error);
    return;
  }
  message.textContent = page.entries.length === 0 ? t('auditEmpty') : '';
  table.innerHTML = `<thead><tr><th>${esc(t('time'))}</th><th>${esc(t('auditAction'))}</th><th>${esc(t('auditTarget'))}</th><th>${esc(t('auditKey'))}</th><th>${esc(t('auditSummary'))}</th></tr></thead><tbody>${page.entries
    .map(
      (e) =>
        `<tr><td>${esc(dateTime(e.at))}</td><td>${esc(e.action)}</td><td>${esc(e.target)}</td><td>${esc(e.keyId ?? '–')}</td><td>${esc(e.summary)}</td></tr>`,
    )
    .join('')}</tbody>`;
}
