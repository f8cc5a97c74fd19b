// Sign-up: the 동네 picker and checks before the form is sent.
import { $, $$, regionPicker } from './lib.js';

$$('[data-region-picker]').forEach(regionPicker);
const form = $('#signup-form');
const rules = {
  email: (v) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? '' : '올바른 이메일 주소를 입력해 주세요'),
  nickname: (v) => (/^[가-힣A-Za-z0-9_]{2,10}$/.test(v) ? '' : '닉네임은 2–10자의 한글·영문·숫자·_로 써 주세요'),
  password: (v) => (v.length >= 8 && v.length <= 64 && /[A-Za-z]/.test(v) && /\d/.test(v) ? '' : '비밀번호는 8–64자, 영문과 숫자를 함께 써 주세요'),
  password2: (v) => (v === form.elements.password.value ? '' : '비밀번호가 서로 달라요'),
};
function check(name) {
  const input = form.elements[name];
  const problem = rules[name](input.value.trim ? (name.startsWith('password') ? input.value : input.value.trim()) : input.value);
  $(`[data-error-for="${name}"]`, form).textContent = problem;
  if (problem) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  return !problem;
}
for (const name of Object.keys(rules)) {
  form.elements[name].addEventListener('blur', () => { if (form.elements[name].value) check(name); });
}
form.addEventListener('submit', (e) => {
  const ok = Object.keys(rules).map(check).every(Boolean);
  const regionText = form.elements.region_name.value.trim();
  if (regionText && !form.elements.region_code.value) {
    $('[data-error-for="region_code"]', form).textContent = '목록에서 동네를 골라 주세요';
    e.preventDefault();
    return;
  }
  if (!ok) {
    e.preventDefault();
    form.querySelector('[aria-invalid="true"]')?.focus();
  }
});
