// Item page: gallery, bookmark, chat, the rental calendar and request with a price quote, the
// report dialog, and the owner's hide/delete.
import { $, $$, api, toast, openDialog, won, dateTime } from './lib.js';
import { createCalendar, shortDate, startOfDay } from './calendar.js';

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

// rental request: the calendar picks the days, the time inputs hold the exact period (first day
// 10:00, last day 18:00 by default, both editable), and the period is checked before it is sent.
const form = $('#rent-form');
const DAY_MS = 24 * 3600e3;
const START_HOUR = 10;
const END_HOUR = 18;
const minDays = Number(item.dataset.minDays) || 0;
const maxDays = Number(item.dataset.maxDays) || 0;
let booked = [];
try {
  booked = JSON.parse(item.dataset.booked || '[]').map((p) => ({ start: Date.parse(p.start_at), end: Date.parse(p.end_at) }));
} catch (e) { booked = []; }
const pad = (n) => String(n).padStart(2, '0');
const localValue = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
const atHour = (day, h) => new Date(day.getFullYear(), day.getMonth(), day.getDate(), h);
/** A period's length in days: the number of started 24-hour spans (as the server counts). */
const daysOf = (s, e) => Math.ceil((e - s) / DAY_MS);
const UNIT_WORD = { 3600000: '시간', 86400000: '일', 604800000: '주', 2592000000: '달' };
const hhmm = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
let serverError = '';

const calRoot = $('#rent-calendar');
const today = startOfDay(new Date());
const calendar = calRoot && createCalendar(calRoot, {
  mode: form ? 'pick' : 'view',
  label: form ? '대여 기간 고르기' : '예약 현황 달력',
  booked,
  min: today,
  max: new Date(today.getFullYear(), today.getMonth() + 12, 1),
  onPick: ({ start, end }) => {
    if (!form) return;
    let s = atHour(start, START_HOUR);
    // Today after 10:00: from the next full hour.
    if (s <= new Date()) {
      s = new Date();
      s.setMinutes(0, 0, 0);
      s.setHours(s.getHours() + 1);
    }
    form.elements.start.value = localValue(s);
    form.elements.end.value = end ? localValue(atHour(end, END_HOUR)) : '';
    serverError = '';
    check();
  },
});

/** Reads the inputs, shows days, quote and problems; returns the period when it may be sent. */
function check() {
  const s = new Date(form.elements.start.value);
  const e = new Date(form.elements.end.value);
  const picked = $('#rent-picked');
  const out = $('#rent-quote');
  const err = $('#rent-error');
  const submit = $('#rent-submit');
  let problem = '';
  let ok = false;
  out.textContent = '';
  picked.textContent = '';
  if (isNaN(s)) {
    picked.textContent = '빌리는 첫날을 골라 주세요.';
  } else if (isNaN(e)) {
    picked.textContent = `${shortDate(s)}부터 · 마지막 날을 골라 주세요.`;
  } else if (e <= s) {
    problem = '반납 시각은 시작보다 뒤여야 해요';
  } else {
    const n = daysOf(s, e);
    picked.textContent = `${shortDate(s)} ${hhmm(s)} – ${shortDate(e)} ${hhmm(e)} · ${n}일`;
    const clash = booked.find((p) => p.start < e.getTime() && s.getTime() < p.end);
    if (s <= new Date()) problem = '시작 시각은 지금보다 뒤여야 해요';
    else if (e - s > 366 * DAY_MS) problem = '대여 기간은 1년까지예요';
    else if (minDays && n < minDays) problem = `이 물건은 최소 ${minDays}일부터 빌릴 수 있어요 (고른 기간: ${n}일)`;
    else if (maxDays && n > maxDays) problem = `이 물건은 최대 ${maxDays}일까지 빌릴 수 있어요 (고른 기간: ${n}일)`;
    else if (clash) problem = `이미 예약된 기간(${dateTime(clash.start)} – ${dateTime(clash.end)})과 겹쳐요. 다른 기간을 골라 주세요`;
    else ok = true;
    if (price < 0 || !unitMs) out.textContent = `${n}일 · 가격은 채팅으로 정해요`;
    else if (price === 0) out.textContent = `${n}일 · 무료로 빌릴 수 있어요`;
    else {
      const units = Math.ceil((e - s) / unitMs);
      out.textContent = `${n}일 · 예상 금액 ${won(price * units)}원 (${won(price)}원 × ${units}${UNIT_WORD[unitMs] || ''})`;
    }
  }
  err.textContent = serverError || problem;
  submit.disabled = !ok;
  return ok ? { start: s, end: e } : null;
}

if (form) {
  form.elements.start.min = localValue(new Date());
  form.addEventListener('input', () => {
    serverError = '';
    const s = new Date(form.elements.start.value);
    const e = new Date(form.elements.end.value);
    // The calendar shows the typed period: its last day is the one the end falls in (an end at
    // 00:00 closes the day before).
    calendar?.setRange(isNaN(s) ? null : s, isNaN(e) || isNaN(s) || e <= s ? null : new Date(e.getTime() - 1));
    check();
  });
  check();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = check();
    if (!q) return;
    const btn = $('#rent-submit');
    btn.disabled = true;
    try {
      const rental = await api('POST', `/items/${id}/rentals`, { start_at: q.start.toISOString(), end_at: q.end.toISOString() });
      toast(item.dataset.borrow === 'true' ? '빌려주겠다고 제안했어요' : '대여 요청을 보냈어요');
      location.href = `/rentals/${rental.id}`;
    } catch (e) {
      const f = e.fields || {};
      serverError = f.min_days || f.max_days || f.start_at || f.end_at || e.message || '이미 예약된 기간과 겹쳐요';
      $('#rent-error').textContent = serverError;
      btn.disabled = false;
    }
  });
}

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
