// A new account's first step: choose the 동네, then go where the sign-in was headed.
import { $, $$, api, regionPicker } from './lib.js';

$$('[data-region-picker]').forEach(regionPicker);

const form = $('#welcome-form');
form?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('[data-error-for="region_code"]', form);
  err.textContent = '';
  const code = form.elements.region_code.value;
  if (!code) {
    err.textContent = '목록에서 동네를 골라 주세요';
    return;
  }
  try {
    await api('PATCH', '/me', { region_code: code });
    location.href = form.dataset.next || '/';
  } catch (ex) {
    err.textContent = ex.fields?.region_code || ex.message;
  }
});
