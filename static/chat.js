// A conversation: live over the socket, read marks, rental system messages with their actions,
// older history loaded upward, and catch-up after a reconnect so nothing is missed.
import { $, api, bus, el, me, hm, sendFrame, toast, wireRentals } from './lib.js';

const box = $('#chat');
const roomId = Number(box.dataset.roomId);
const myId = me();
let otherRead = Number(box.dataset.otherRead) || 0;
const listEl = $('#message-list');
const scroller = $('#messages');
const moreBtn = $('#load-more');
const conn = $('#conn-status');
const form = $('#send-form');
const input = $('#msg');

const msgs = new Map();
const pending = new Map();
const rentals = new Map();
const loading = new Set();
// Rentals reviewed on this page, until the rental's next live frame says so too.
const reviewed = new Set();
const fresh = new Set();
let hasMore = false;
let loadingOlder = false;
let readSent = 0;
let seq = 0;

const sorted = () => [...msgs.values()].sort((a, b) => a.id - b.id);
const lastId = () => Math.max(0, ...msgs.keys());
const firstId = () => Math.min(...msgs.keys());
const minute = (m) => String(m.created_at).slice(0, 16);
const nearBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120;
const toBottom = () => { scroller.scrollTop = scroller.scrollHeight; };

// When each message reached this page: catching up starts a little before the newest one.
const arrived = new Map();

function add(m) {
  if (m.room_id !== roomId || msgs.has(m.id)) return false;
  msgs.set(m.id, m);
  arrived.set(m.id, Date.now());
  if (m.kind === 'system' && m.event) loadRental(m.event.rental_id, false);
  return true;
}

async function loadRental(id, force) {
  if ((!force && rentals.has(id)) || loading.has(id)) return;
  loading.add(id);
  try {
    rentals.set(id, await api('GET', `/rentals/${id}`));
    render();
  } catch (e) { /* the message still shows */ } finally {
    loading.delete(id);
  }
}

// The server decides what this user may do (the rental's `actions`); the page only shows it.
function actionsFor(r) {
  const labels = {
    accept: ['수락', 'primary'],
    reject: ['거절', 'danger'],
    cancel: [r.status === 'requested' ? '요청 취소' : '대여 취소', ''],
    return: ['반납 확인', 'primary'],
  };
  // Actions with a form of their own open the rental page at their section.
  const pages = {
    extend: ['연장 요청', '#extensions'],
    handover_pickup: ['인수 기록', '#handovers'],
    handover_return: ['반납 기록', '#handovers'],
    deposit: ['보증금', '#deposit'],
    dispute: ['분쟁 조정', '#dispute-open'],
  };
  const seen = new Set();
  return (r.actions || []).filter((a) => labels[a] || pages[a]).flatMap((a) => {
    if (labels[a]) {
      return [el('button', {
        type: 'button', class: `btn small ${labels[a][1]}`, 'data-rental-action': a, 'data-rental-id': r.id,
      }, labels[a][0])];
    }
    const [label, anchor] = pages[a];
    if (seen.has(anchor)) return [];
    seen.add(anchor);
    return [el('a', { class: 'btn small', href: `/rentals/${r.id}${anchor}` }, label)];
  });
}

function systemNode(m, latest) {
  const li = el('li', { class: `msg system${fresh.has(m.id) ? ' fresh' : ''}`, 'data-id': m.id }, el('div', { class: 'bubble' }, m.body));
  if (latest && m.event) {
    const r = rentals.get(m.event.rental_id);
    const buttons = r ? actionsFor(r) : [];
    if (r && (r.actions || []).includes('review') && !reviewed.has(r.id)) {
      const other = r.lender.id === myId ? r.borrower.nickname : r.lender.nickname;
      buttons.push(el('button', { type: 'button', class: 'btn small primary', 'data-review': r.id, 'data-review-name': other }, '후기 쓰기'));
    }
    buttons.push(el('a', { class: 'btn small', href: `/rentals/${m.event.rental_id}` }, '대여 정보'));
    li.append(el('div', { class: 'rental-actions' }, buttons));
  } else if (m.event && m.event.type === 'handover_recorded') {
    // A condition record always links to its photos, even once later events followed it.
    li.append(el('div', { class: 'rental-actions' }, el('a', { class: 'btn small', href: `/rentals/${m.event.rental_id}#handovers` }, '기록 보기')));
  }
  return li;
}

function render() {
  const all = sorted();
  const latestSystem = new Map();
  for (const m of all) if (m.kind === 'system' && m.event) latestSystem.set(m.event.rental_id, m.id);
  let readMark = 0;
  for (const m of all) if (m.sender_id === myId && m.id <= otherRead) readMark = m.id;
  const nodes = all.map((m, i) => {
    if (m.kind === 'system') return systemNode(m, latestSystem.get(m.event?.rental_id) === m.id);
    const next = all[i + 1];
    const mine = m.sender_id === myId;
    const endOfRun = !next || next.kind === 'system' || next.sender_id !== m.sender_id || minute(next) !== minute(m);
    const li = el('li', { class: `msg ${mine ? 'me' : 'other'}${fresh.has(m.id) ? ' fresh' : ''}`, 'data-id': m.id },
      el('div', { class: 'bubble' }, m.body));
    if (endOfRun || m.id === readMark) {
      li.append(el('span', { class: 'msg-meta' }, mine && m.id === readMark ? el('span', { class: 'read-mark' }, '읽음 · ') : null, hm(m.created_at)));
    }
    return li;
  });
  for (const [cid, p] of pending) {
    nodes.push(el('li', { class: 'msg me pending', 'data-client-id': cid },
      el('div', { class: 'bubble' }, p.body),
      el('span', { class: 'msg-meta' }, p.failed ? '전송 실패 · 다시 보내는 중' : '보내는 중…')));
  }
  listEl.replaceChildren(...nodes);
  fresh.clear();
  moreBtn.hidden = !hasMore;
}

function markRead() {
  const last = lastId();
  if (!last || last <= readSent || document.visibilityState !== 'visible') return;
  readSent = last;
  if (!sendFrame({ type: 'read', room_id: roomId, last_read_id: last })) {
    api('POST', `/chats/${roomId}/read`, { last_read_id: last }).catch(() => { readSent = 0; });
  }
}

async function loadInitial() {
  try {
    const h = await api('GET', `/chats/${roomId}/messages?limit=50`);
    h.messages.forEach(add);
    hasMore = h.has_more;
    render();
    toBottom();
    markRead();
  } catch (e) {
    toast(e.message, 'error');
  }
}

async function loadOlder() {
  if (loadingOlder || !hasMore || !msgs.size) return;
  loadingOlder = true;
  try {
    const h = await api('GET', `/chats/${roomId}/messages?before=${firstId()}&limit=50`);
    const height = scroller.scrollHeight;
    const top = scroller.scrollTop;
    h.messages.forEach(add);
    hasMore = h.has_more;
    render();
    scroller.scrollTop = scroller.scrollHeight - height + top;
  } catch (e) {
    toast(e.message, 'error');
  } finally {
    loadingOlder = false;
  }
}
moreBtn.addEventListener('click', loadOlder);
scroller.addEventListener('scroll', () => { if (scroller.scrollTop < 40) loadOlder(); });

/** Where catching up starts: the newest message that arrived at least 2 s ago. With several
 * server instances, a message with a lower id may commit after one with a higher id (both in
 * flight at once), so `after=` the very newest id could skip it; what is fetched twice is
 * dropped by id. */
function catchUpFrom() {
  const settled = Date.now() - 2000;
  let from = 0;
  for (const [id, at] of arrived) if (at <= settled && id > from) from = id;
  return from || (msgs.size ? Math.max(0, Math.min(...msgs.keys()) - 1) : 0);
}

/** After a reconnect: fetch everything after the last settled message, then resend what was lost. */
async function catchUp() {
  const stick = nearBottom();
  let after = catchUpFrom();
  try {
    for (;;) {
      const h = await api('GET', `/chats/${roomId}/messages?after=${after}&limit=200`);
      if (h.messages.length) after = h.messages[h.messages.length - 1].id;
      h.messages.forEach((m) => { if (add(m)) fresh.add(m.id); });
      if (!h.has_more || !h.messages.length) break;
    }
  } catch (e) {
    return;
  }
  // Anything still pending was never acknowledged: it may have been stored, so match by body first.
  const mineRecent = sorted().filter((m) => m.sender_id === myId).slice(-20).map((m) => m.body);
  for (const [cid, p] of [...pending]) {
    const hit = mineRecent.indexOf(p.body);
    if (hit >= 0) {
      mineRecent.splice(hit, 1);
      pending.delete(cid);
    } else {
      resend(cid, p);
    }
  }
  render();
  if (stick) toBottom();
  markRead();
}

async function resend(cid, p) {
  try {
    const m = await api('POST', `/chats/${roomId}/messages`, { body: p.body });
    pending.delete(cid);
    add(m);
  } catch (e) {
    p.failed = true;
    toast('메시지를 보내지 못했어요', 'error');
  }
  render();
  toBottom();
}

form?.addEventListener('submit', (e) => {
  e.preventDefault();
  const body = input.value.trim();
  if (!body) return;
  if (body.length > 1000) { toast('메시지는 1000자까지 보낼 수 있어요', 'error'); return; }
  const cid = `c-${Date.now().toString(36)}-${++seq}`;
  const p = { body };
  pending.set(cid, p);
  input.value = '';
  input.style.height = '';
  render();
  toBottom();
  if (!sendFrame({ type: 'send', room_id: roomId, body, client_id: cid })) resend(cid, p);
});
input?.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    form.requestSubmit();
  }
});
input?.addEventListener('input', () => {
  input.style.height = 'auto';
  input.style.height = Math.min(input.scrollHeight, 140) + 'px';
});

bus.addEventListener('ack', (e) => {
  const { client_id: cid, message } = e.detail;
  if (!pending.has(cid)) return;
  pending.delete(cid);
  add(message);
  render();
  toBottom();
});
bus.addEventListener('message', (e) => {
  const m = e.detail.message;
  if (m.room_id !== roomId) return;
  const stick = nearBottom() || m.sender_id === myId;
  if (!add(m)) return;
  fresh.add(m.id);
  if (m.kind === 'system' && m.event) loadRental(m.event.rental_id, true);
  render();
  if (stick) toBottom();
  if (m.sender_id !== myId) markRead();
});
bus.addEventListener('read', (e) => {
  const f = e.detail;
  if (f.room_id !== roomId || f.user_id === myId) return;
  if (f.last_read_id > otherRead) {
    otherRead = f.last_read_id;
    render();
  }
});
bus.addEventListener('rental', (e) => {
  const r = e.detail.rental;
  if (r && rentals.has(r.id)) {
    rentals.set(r.id, r);
    render();
  }
});
bus.addEventListener('error', (e) => {
  const { client_id: cid, code } = e.detail || {};
  const p = cid && pending.get(cid);
  if (p) {
    pending.delete(cid);
    render();
    toast(code === 'forbidden' ? '이 대화에는 보낼 수 없어요' : '메시지를 보내지 못했어요', 'error');
  }
});
let dropped = false;
bus.addEventListener('close', () => {
  dropped = true;
  conn.hidden = false;
});
bus.addEventListener('open', (e) => {
  conn.hidden = true;
  if (e.detail.reconnect || dropped) catchUp();
  dropped = false;
  markRead();
});
document.addEventListener('visibilitychange', markRead);

// Mute: messages keep arriving and counting as unread; only the notifications stop.
const muteBtn = $('#mute-toggle');
muteBtn?.addEventListener('click', async () => {
  const muted = muteBtn.getAttribute('aria-pressed') === 'true';
  muteBtn.disabled = true;
  try {
    await api(muted ? 'DELETE' : 'PUT', `/chats/${roomId}/mute`);
    muteBtn.setAttribute('aria-pressed', String(!muted));
    muteBtn.textContent = muted ? '알림 끄기' : '알림 켜기';
    toast(muted ? '이 채팅방의 알림을 켰어요' : '이 채팅방의 알림을 껐어요');
  } catch (err) {
    toast(err.message, 'error');
  } finally {
    muteBtn.disabled = false;
  }
});

wireRentals(box.parentElement, (r, reviewedId) => {
  if (r) rentals.set(r.id, r);
  if (reviewedId) reviewed.add(reviewedId);
  render();
});

loadInitial();
