// The admin key form shown until a key works; a 401 from the API brings it back with a clear message.
import { adminKey } from './api.ts';
import { t } from './i18n.ts';

export function showGate(
  gate: HTMLElement,
  app: HTMLElement,
  message: 'keyMissing' | 'keyWrong',
  onKey: () => void,
) {
  app.hidden = true;
  gate.hidden = false;
  gate.innerHTML = `
    <form id="key-form" class="card">
      <label for="key-input">${t('keyPrompt')}</label>
      <input id="key-input" type="password" autocomplete="off" required>
      <p class="hint">${t('keyHint')}</p>
      <p id="key-message" class="${message === 'keyWrong' ? 'error' : 'hint'}" role="alert">${t(message)}</p>
      <button type="submit">${t('keySave')}</button>
    </form>`;
  const input = gate.querySelector<HTMLInputElement>('#key-input')!;
  input.focus();
  gate.querySelector('form')!.addEventListener('submit', (e) => {
    e.preventDefault();
    adminKey.set(input.value);
    gate.hidden = true;
    app.hidden = false;
    onKey();
  });
}
