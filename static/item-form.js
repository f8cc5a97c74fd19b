// New / edit item: inline validation, photos (preview, reorder, delete before submit), server errors by field.
import { $, $$, api, el, toast, clearErrors, showErrors, regionPicker } from './lib.js';

const form = $('#item-form');
let itemId = Number(form.dataset.id) || 0;
const MAX = 10;
const MAX_BYTES = 10 * 1024 * 1024;
const list = $('#photo-list');
const picker = $('#f-photos');

/** Photos in display order: existing ones ({id, thumb}) and new files ({file, url}). */
let photos = $$('li', list).map((li) => ({ id: Number(li.dataset.imageId), thumb: li.dataset.thumb }));
const removed = [];

function photoError(msg) {
  $('[data-error-for="images"]', form).textContent = msg || '';
}

function renderPhotos() {
  list.replaceChildren(...photos.map((p, i) => el('li', { class: 'photo' },
    el('img', { src: p.thumb || p.url, alt: `사진 ${i + 1}` }),
    i === 0 ? el('span', { class: 'tag borrow first' }, '대표') : null,
    el('div', { class: 'photo-tools' },
      el('button', { type: 'button', 'aria-label': `사진 ${i + 1} 앞으로`, disabled: i === 0, onclick: () => move(i, -1) }, '←'),
      el('button', { type: 'button', 'aria-label': `사진 ${i + 1} 삭제`, onclick: () => remove(i) }, '×'),
      el('button', { type: 'button', 'aria-label': `사진 ${i + 1} 뒤로`, disabled: i === photos.length - 1, onclick: () => move(i, 1) }, '→'),
    ),
  )));
  picker.disabled = photos.length >= MAX;
}
function move(i, d) {
  const j = i + d;
  if (j < 0 || j >= photos.length) return;
  [photos[i], photos[j]] = [photos[j], photos[i]];
  renderPhotos();
}
function remove(i) {
  const [p] = photos.splice(i, 1);
  if (p.id) removed.push(p.id);
  if (p.url) URL.revokeObjectURL(p.url);
  renderPhotos();
}
picker.addEventListener('change', () => {
  photoError('');
  for (const file of picker.files) {
    if (photos.length >= MAX) { photoError('사진은 10장까지 올릴 수 있어요'); break; }
    if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) { photoError('JPEG, PNG, WebP, GIF 사진만 올릴 수 있어요'); continue; }
    if (file.size > MAX_BYTES) { photoError('사진 한 장은 10MB까지예요'); continue; }
    photos.push({ file, url: URL.createObjectURL(file) });
  }
  picker.value = '';
  renderPhotos();
});
renderPhotos();

$$('[data-region-picker]').forEach(regionPicker);

const desc = form.elements.description;
const count = () => { $('#desc-count').textContent = desc.value.length; };
desc.addEventListener('input', count);
count();

// inline validation
const checks = {
  title: () => {
    const n = form.elements.title.value.trim().length;
    return n < 2 || n > 40 ? '제목은 2–40자로 써 주세요' : '';
  },
  category_id: () => (form.elements.category_id.value ? '' : '카테고리를 골라 주세요'),
  price: () => {
    const v = form.elements.price.value.trim();
    if (!v) return '';
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 10000000 ? '' : '가격은 0–10,000,000원 사이의 정수로 써 주세요';
  },
  deposit: () => {
    const v = form.elements.deposit.value.trim();
    if (!v) return '';
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 10000000 ? '' : '보증금은 0–10,000,000원 사이의 정수로 써 주세요';
  },
  description: () => (desc.value.length > 2000 ? '설명은 2000자까지 쓸 수 있어요' : ''),
};
function check(name) {
  const problem = checks[name]();
  $(`[data-error-for="${name}"]`, form).textContent = problem;
  const input = form.elements[name];
  if (problem) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
  return !problem;
}
for (const name of Object.keys(checks)) {
  form.elements[name].addEventListener('blur', () => check(name));
  form.elements[name].addEventListener('input', () => {
    if (form.elements[name].getAttribute('aria-invalid')) check(name);
  });
}

function body() {
  const f = form.elements;
  const price = f.price.value.trim() === '' ? null : Number(f.price.value);
  const out = {
    section: new FormData(form).get('section') || 'lend',
    category_id: Number(f.category_id.value),
    title: f.title.value.trim(),
    description: desc.value.trim(),
    price,
    price_unit: price === null ? null : f.price_unit.value,
    deposit: f.deposit.value.trim() === '' ? 0 : Number(f.deposit.value),
  };
  // Borrowing rules belong to lend items; empty means none.
  const days = (el) => (el.value.trim() === '' ? null : Number(el.value));
  if (out.section === 'lend') {
    out.min_days = days(f.min_days);
    out.max_days = days(f.max_days);
  } else {
    out.min_days = null;
    out.max_days = null;
  }
  if (f.region_code.value) out.region_code = f.region_code.value;
  return out;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  const ok = Object.keys(checks).map(check).every(Boolean);
  if (f_regionTyped() && !form.elements.region_code.value) {
    $('[data-error-for="region_code"]', form).textContent = '목록에서 동네를 골라 주세요';
    return;
  }
  if (!ok) {
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  const btn = form.querySelector('button[type=submit]');
  btn.disabled = true;
  try {
    if (itemId) await api('PATCH', `/items/${itemId}`, body());
    else {
      const created = await api('POST', '/items', body());
      itemId = created.id;
      form.dataset.id = String(itemId);
    }
  } catch (err) {
    btn.disabled = false;
    showErrors(form, err.fields, err.message);
    form.querySelector('[aria-invalid="true"]')?.focus();
    return;
  }
  try {
    while (removed.length) {
      await api('DELETE', `/items/${itemId}/images/${removed[0]}`);
      removed.shift();
    }
    const fresh = photos.filter((p) => p.file);
    if (fresh.length) {
      const fd = new FormData();
      fresh.forEach((p) => fd.append('image', p.file, p.file.name));
      const uploaded = await api('POST', `/items/${itemId}/images`, fd);
      fresh.forEach((p, i) => { p.id = uploaded[i].id; p.thumb = uploaded[i].thumbnail_url; delete p.file; });
    }
    if (photos.length) await api('PUT', `/items/${itemId}/images/order`, { ids: photos.map((p) => p.id) });
    location.href = `/items/${itemId}`;
  } catch (err) {
    btn.disabled = false;
    photoError(`글은 저장했지만 사진을 올리지 못했어요: ${err.message}`);
    toast('사진을 올리지 못했어요. 다시 시도해 주세요', 'error');
  }
});

function f_regionTyped() {
  return form.elements.region_name.value.trim() !== '';
}
