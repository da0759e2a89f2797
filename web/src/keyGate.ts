// The admin key gate both pages share: a form shown until a key is stored, brought back with a clear message
// when the API refuses the key, and a "forget key" button.
import { adminKey, takeKeyFromUrl } from './api.ts';
import { t, translatePage } from './i18n.ts';

function showGate(
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
    onKey();
  });
}

/**
 * Wires a page to the key: `start()` translates the page and runs `onReady` once a key is stored (else asks for
 * one); `wrongKey()` is what a 401 calls. Expects #gate, #app and #sign-out in the page.
 */
export function keyedPage(onReady: () => void) {
  const gate = document.querySelector<HTMLElement>('#gate')!;
  const app = document.querySelector<HTMLElement>('#app')!;
  const start = () => {
    translatePage();
    if (!adminKey.get()) {
      showGate(gate, app, 'keyMissing', start);
      return;
    }
    gate.hidden = true;
    app.hidden = false;
    onReady();
  };
  takeKeyFromUrl();
  document.querySelector('#sign-out')!.addEventListener('click', () => {
    adminKey.clear();
    showGate(gate, app, 'keyMissing', start);
  });
  return { start, wrongKey: () => showGate(gate, app, 'keyWrong', start) };
}
