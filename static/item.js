// Item page: gallery, bookmark, chat, rental request with booked periods and a price quote,
// report dialog, and the owner's hide/delete.
import { $, $$, api, el, toast, openDialog, won, dateTime } from './lib.js';

const item = $('#item');
const id = item.dataset.itemId;
const price = Number(item.dataset.price);
const unitMs = Number(item.dataset.unitMs);

// gallery
const main = $('#gallery-main');
$$('.thumb-btn').forEach((b) => b.addEventListener('click', () => {
  main.src = b.dataset.src;
  $$('.thumb-btn').forEach((x) => x.classList.toggle('on', x === b));
}));

// bookmark
const bm = $('#bookmark-btn');
bm?.addEventListener('click', async () => {
  if (item.dataset.signedIn !== 'true') {
    location.href = '/login?next=' + encodeURIComponent(location.pathname);
    return;
  }
  const on = bm.getAttribute('aria-pressed') !== 'true';
  bm.disabled = true;
  try {
    const r = await api(on ? 'PUT' : 'DELETE', `/items/${id}/bookmark`);
    bm.setAttribute('aria-pressed', String(r.bookmarked));
    bm.classList.toggle('on', r.bookmarked);
    $('#bm-count').textContent = r.bookmark_count;
    toast(r.bookmarked ? '찜했어요' : '찜을 풀었어요');
  } catch (e) {
    toast(e.message, 'error');
  } finally {
    bm.disabled = false;
  }
});

// chat
$('#chat-btn')?.addEventListener('click', async () => {
  if (item.dataset.signedIn !== 'true') {
    location.href = '/login?next=' + encodeURIComponent(location.pathname);
    return;
  }
  try {
    const room = await api('POST', `/items/${id}/chats`);
    location.href = `/chats/${room.id}`;
  } catch (e) {
    toast(e.message, 'error');
  }
});

// rental request
const form = $('#rent-form');
let booked = [];
const pad = (n) => String(n).padStart(2, '0');
const localValue = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;

function renderBooked(start, end) {
  const list = $('#booked-list');
  if (!list) return;
  list.replaceChildren(...booked.map((p) => {
    const s = new Date(p.start_at), e = new Date(p.end_at);
    const clash = start && end && s < end && start < e;
    return el('li', { class: clash ? 'clash' : '' }, `${dateTime(p.start_at)} – ${dateTime(p.end_at)}`, clash ? ' (겹쳐요)' : '');
  }));
  $('#booked-empty').hidden = booked.length > 0;
}

function quote() {
  const s = new Date(form.elements.start.value);
  const e = new Date(form.elements.end.value);
  const out = $('#rent-quote');
  const err = $('#rent-error');
  err.textContent = '';
  if (isNaN(s) || isNaN(e)) { out.textContent = ''; renderBooked(); return null; }
  renderBooked(s, e);
  if (e <= s) { out.textContent = ''; err.textContent = '반납 시각은 시작보다 뒤여야 해요'; return null; }
  if (s <= new Date()) { out.textContent = ''; err.textContent = '시작 시각은 지금보다 뒤여야 해요'; return null; }
  if (booked.some((p) => new Date(p.start_at) < e && s < new Date(p.end_at))) {
    err.textContent = '이미 예약된 기간과 겹쳐요. 다른 기간을 골라 주세요';
  }
  if (price < 0 || !unitMs) out.textContent = '가격은 채팅으로 정해요';
  else if (price === 0) out.textContent = '무료로 빌릴 수 있어요';
  else {
    const units = Math.ceil((e - s) / unitMs);
    out.textContent = `예상 금액 ${won(price * units)}원 (${won(price)}원 × ${units})`;
  }
  return { start: s, end: e };
}

if (form) {
  const start = new Date(Date.now() + 24 * 3600e3);
  start.setMinutes(0, 0, 0);
  start.setHours(10);
  const end = new Date(start.getTime() + 24 * 3600e3);
  form.elements.start.value = localValue(start);
  form.elements.end.value = localValue(end);
  form.elements.start.min = localValue(new Date());
  form.addEventListener('input', quote);
  quote();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = quote();
    if (!q || $('#rent-error').textContent) return;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const rental = await api('POST', `/items/${id}/rentals`, { start_at: q.start.toISOString(), end_at: q.end.toISOString() });
      toast('대여 요청을 보냈어요');
      location.href = `/rentals/${rental.id}`;
    } catch (e) {
      $('#rent-error').textContent = e.status === 409 ? e.message || '이미 예약된 기간과 겹쳐요' : e.message;
    } finally {
      btn.disabled = false;
    }
  });
}

// booked periods for the next 6 months
(async () => {
  if (!$('#booked-list')) return;
  const from = new Date();
  const to = new Date(Date.now() + 183 * 24 * 3600e3);
  try {
    booked = await api('GET', `/items/${id}/availability?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`);
    if (form) quote(); else renderBooked();
  } catch (e) { /* the server-rendered list stays */ }
})();

// report
const reportDialog = $('#report-dialog');
$('#report-btn')?.addEventListener('click', () => { $('#report-error').textContent = ''; openDialog(reportDialog); });
$('#report-form')?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const reason = new FormData(f).get('reason');
  if (!reason) { $('#report-error').textContent = '신고 사유를 골라 주세요'; return; }
  const detail = f.elements.detail.value.trim();
  try {
    await api('POST', `/items/${id}/reports`, { reason, detail: detail || undefined });
    reportDialog.close();
    f.reset();
    toast('신고를 접수했어요. 확인 후 조치할게요');
  } catch (e) {
    $('#report-error').textContent = e.status === 409 ? '이미 신고한 글이에요' : e.message;
  }
});

// owner: hide / show, delete
const hideBtn = $('#hide-btn');
hideBtn?.addEventListener('click', async () => {
  const hidden = hideBtn.dataset.hidden === 'true';
  try {
    await api('PATCH', `/items/${id}`, { status: hidden ? 'available' : 'hidden' });
    toast(hidden ? '다시 보이게 했어요' : '숨겼어요. 나만 볼 수 있어요');
    setTimeout(() => location.reload(), 400);
  } catch (e) {
    toast(e.message, 'error');
  }
});
const delDialog = $('#delete-dialog');
$('#delete-btn')?.addEventListener('click', () => openDialog(delDialog));
$('#delete-confirm')?.addEventListener('click', async () => {
  try {
    await api('DELETE', `/items/${id}`);
    location.href = '/me?tab=items';
  } catch (e) {
    $('#delete-error').textContent = e.message;
  }
});
