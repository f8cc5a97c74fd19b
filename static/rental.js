// The rental page: extensions, condition records with photos, the deposit and disputes. What
// the viewer may do comes from the server (the rental's `actions`, rendered into the page); this
// only sends the forms, reloads after the viewer's own change, and offers a reload when the
// other party changes it (a live frame).
import { $, $$, api, bus, el, toast } from './lib.js';

const page = $('#rental');
const id = Number(page.dataset.rentalId);
const reload = () => setTimeout(() => location.reload(), 250);

// Another party's change arrives as a live `rental` frame: say so, with a button, rather than
// reloading under someone who may be typing a note or choosing photos.
bus.addEventListener('rental', (e) => {
  if (!e.detail.rental || e.detail.rental.id !== id || $('#rental-changed')) return;
  const note = el('p', { class: 'box notice', id: 'rental-changed', role: 'status' },
    '상대방이 이 대여를 바꿨어요. ',
    el('button', { type: 'button', class: 'btn small primary', onclick: () => location.reload() }, '새로 고침'));
  page.querySelector('h1').after(note);
});

/** `YYYY-MM-DDTHH:MM` in local time, for datetime-local inputs. */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

async function submit(form, button, call, done) {
  const error = $('.field-error', form);
  if (error) error.textContent = '';
  button.disabled = true;
  try {
    await call();
    toast(done);
    reload();
  } catch (err) {
    // A field's own problem says more than the summary (e.g. which rule a date broke).
    const problem = Object.values(err.fields || {}).find((p) => p !== 'required');
    const message = problem || err.message;
    if (error) error.textContent = message;
    else toast(message, 'error');
  } finally {
    button.disabled = false;
  }
}

const extend = $('#extend-form');
if (extend) {
  const input = $('#extend-end', extend);
  const end = new Date(page.dataset.end);
  input.min = localInput(new Date(end.getTime() + 60 * 1000));
  input.value = localInput(new Date(end.getTime() + 24 * 3600 * 1000));
  extend.addEventListener('submit', (e) => {
    e.preventDefault();
    const when = new Date(input.value);
    if (Number.isNaN(when.getTime())) {
      $('#extend-error').textContent = '새 반납 시각을 골라 주세요';
      return;
    }
    submit(extend, $('button', extend), () => api('POST', `/rentals/${id}/extensions`, { end_at: when.toISOString() }), '연장을 요청했어요');
  });
}

page.addEventListener('click', async (e) => {
  const ext = e.target.closest('[data-ext]');
  const confirmBtn = e.target.closest('[data-confirm]');
  const dep = e.target.closest('[data-deposit]');
  const btn = ext || confirmBtn || dep;
  if (!btn) return;
  let call;
  let done;
  if (ext) {
    const action = ext.dataset.extAction;
    if (action === 'reject' && !confirm('연장 요청을 거절할까요?')) return;
    call = () => api('POST', `/rentals/${id}/extensions/${ext.dataset.ext}/${action}`);
    done = { accept: '연장을 수락했어요', reject: '연장을 거절했어요', cancel: '연장 요청을 취소했어요' }[action];
  } else if (confirmBtn) {
    call = () => api('POST', `/rentals/${id}/handovers/${confirmBtn.dataset.confirm}/confirm`);
    done = '기록을 확인했어요';
  } else {
    call = () => api('POST', `/rentals/${id}/deposit`, { action: dep.dataset.deposit });
    done = '보증금 상태를 바꿨어요';
  }
  btn.disabled = true;
  try {
    await call();
    toast(done);
    reload();
  } catch (err) {
    toast(err.message, 'error');
    btn.disabled = false;
  }
});

for (const form of $$('.handover-form')) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const files = Array.from(form.elements.image.files);
    const error = $('.field-error', form);
    if (files.length < 1 || files.length > 6) {
      error.textContent = '사진을 1–6장 골라 주세요';
      return;
    }
    const fd = new FormData();
    fd.append('stage', form.dataset.stage);
    fd.append('note', form.elements.note.value.trim());
    for (const f of files) fd.append('image', f);
    submit(form, $('button[type=submit]', form), () => api('POST', `/rentals/${id}/handovers`, fd), '상태 기록을 남겼어요');
  });
}

const withhold = $('#withhold-form');
if (withhold) {
  withhold.addEventListener('submit', (e) => {
    e.preventDefault();
    const note = withhold.elements.note.value.trim();
    if (!note) {
      $('.field-error', withhold).textContent = '돌려주지 않는 이유를 적어 주세요';
      return;
    }
    if (!confirm('보증금을 돌려주지 않고 분쟁 조정을 신청할까요?')) return;
    submit(withhold, $('button', withhold), () => api('POST', `/rentals/${id}/deposit`, { action: 'withheld', note }), '보증금을 보류하고 분쟁을 신청했어요');
  });
}

const dispute = $('#dispute-form');
if (dispute) {
  dispute.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { reason: dispute.elements.reason.value, detail: dispute.elements.detail.value.trim() };
    submit(dispute, $('button', dispute), () => api('POST', `/rentals/${id}/disputes`, body), '분쟁 조정을 신청했어요');
  });
}
