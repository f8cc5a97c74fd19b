// Shared helpers: DOM, API calls with the session cookie + CSRF token, the live socket, dialogs.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
export const me = () => Number(document.body.dataset.user || 0);

/** Builds an element; strings become text nodes (never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function cookie(name) {
  const hit = document.cookie.split(';').map((s) => s.trim()).find((s) => s.startsWith(name + '='));
  return hit ? decodeURIComponent(hit.slice(name.length + 1)) : '';
}
// On https deployments the cookie has the __Host- prefix (see src/http/csrf.rs).
export const csrf = () => cookie('__Host-egd_csrf') || cookie('egd_csrf');

let refreshing = null;
/** Renews the access cookie through the session endpoint; concurrent callers share one request. */
export function refreshSession() {
  if (!refreshing) {
    refreshing = fetch('/session/refresh', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf() },
    })
      .then((r) => r.ok)
      .catch(() => false)
      .finally(() => setTimeout(() => { refreshing = null; }, 2000));
  }
  return refreshing;
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || (status === 0 ? '네트워크에 연결할 수 없어요' : '문제가 생겼어요. 잠시 후 다시 시도해 주세요'));
    this.status = status;
    this.code = err.code || '';
    this.fields = err.fields || {};
  }
}

/** Calls the JSON API (`path` below /api/v1). Bodies: object → JSON, FormData → multipart. */
export async function api(method, path, body) {
  const send = () => {
    const opts = { method, credentials: 'same-origin', headers: { 'x-csrf-token': csrf(), accept: 'application/json' } };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) {
      opts.headers['content-type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch('/api/v1' + path, opts);
  };
  let r;
  try {
    r = await send();
    if (r.status === 401 && (await refreshSession())) r = await send();
  } catch (e) {
    throw new ApiError(0, null);
  }
  if (r.status === 401) {
    location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
    throw new ApiError(401, null);
  }
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

let toastTimer;
export function toast(message, kind = '') {
  const t = $('#toast');
  if (!t) return;
  t.textContent = message;
  t.className = 'toast' + (kind ? ' ' + kind : '');
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
}

// ---- formatting (Korean)
export const won = (n) => Number(n).toLocaleString('ko-KR');
const UNITS = { hour: '시간', day: '일', week: '주', month: '월' };
export function priceLine(price, unit) {
  if (price === null || price === undefined) return '가격 협의';
  if (price === 0) return '무료 나눔';
  return `${won(price)}원` + (unit ? ` / ${UNITS[unit]}` : '');
}
export function ago(iso) {
  const d = Math.max(0, Date.now() - new Date(iso).getTime());
  const m = 60000, h = 60 * m, day = 24 * h;
  if (d < m) return '방금 전';
  if (d < h) return `${Math.floor(d / m)}분 전`;
  if (d < day) return `${Math.floor(d / h)}시간 전`;
  if (d < 30 * day) return `${Math.floor(d / day)}일 전`;
  return `${Math.floor(d / (30 * day))}달 전`;
}
export function hm(iso) {
  const t = new Date(iso);
  const h = t.getHours();
  return `${h < 12 ? '오전' : '오후'} ${((h + 11) % 12) + 1}:${String(t.getMinutes()).padStart(2, '0')}`;
}
export function dateTime(iso) {
  const t = new Date(iso);
  return `${t.getMonth() + 1}월 ${t.getDate()}일 ${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
}

// ---- forms
export function clearErrors(form) {
  $$('[data-error-for]', form).forEach((p) => { p.textContent = ''; });
  $$('[aria-invalid]', form).forEach((i) => i.removeAttribute('aria-invalid'));
  const fe = $('.form-error', form);
  if (fe) fe.textContent = '';
}
/** Puts each server field error next to its field; returns true when at least one was placed. */
export function showErrors(form, fields, fallback) {
  let placed = false;
  for (const [name, problem] of Object.entries(fields || {})) {
    const key = name.split('.').pop();
    const p = $(`[data-error-for="${key}"]`, form);
    if (!p) continue;
    p.textContent = problem === 'required' ? '꼭 입력해 주세요' : problem;
    const input = form.elements[key] || $(`[name="${key}"]`, form);
    if (input && input.setAttribute) input.setAttribute('aria-invalid', 'true');
    placed = true;
  }
  if (!placed && fallback) {
    const fe = $('.form-error', form);
    if (fe) fe.textContent = fallback;
    else toast(fallback, 'error');
  }
  return placed;
}

// ---- dialogs
export function openDialog(dialog) {
  if (!dialog) return;
  if (typeof dialog.showModal === 'function') dialog.showModal();
  else dialog.setAttribute('open', '');
  const first = $('input:not([type=hidden]), textarea, button', dialog);
  if (first) first.focus();
}
document.addEventListener('click', (e) => {
  const close = e.target.closest('[data-close]');
  if (close) close.closest('dialog')?.close();
});

// ---- the live socket (one per page)
export const bus = new EventTarget();
let socket = null;
let everOpen = false;
let retry = 0;
let pingTimer = null;
let holdUntil = 0;
let sessionEndExpected = false;

/** The page is about to end its own login (password change, account deletion) and will move on by
 * itself: a 4401 close then is no reason to send it to the login page. */
export function expectSessionEnd(expected = true) {
  sessionEndExpected = expected;
}
// Logging out from a form ends this page's login too; the form's own navigation takes over.
document.addEventListener('submit', (e) => {
  if (e.target.matches?.('form[action="/session/logout"]')) expectSessionEnd();
});

export function socketOpen() {
  return socket && socket.readyState === WebSocket.OPEN;
}
export function sendFrame(frame) {
  if (!socketOpen()) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

export function connectSocket() {
  if (!me() || socket) return;
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/ws';
  let opened = false;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener('open', () => {
    opened = true;
    retry = 0;
    const reconnect = everOpen;
    everOpen = true;
    bus.dispatchEvent(new CustomEvent('open', { detail: { reconnect } }));
    clearInterval(pingTimer);
    pingTimer = setInterval(() => sendFrame({ type: 'ping' }), 25000);
  });
  ws.addEventListener('message', (ev) => {
    let frame;
    try { frame = JSON.parse(ev.data); } catch (e) { return; }
    bus.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  });
  ws.addEventListener('close', async (ev) => {
    clearInterval(pingTimer);
    socket = null;
    bus.dispatchEvent(new CustomEvent('close'));
    // The login ended (logout elsewhere, password change, suspension): sign in again.
    if (ev.code === 4401) {
      if (sessionEndExpected) return;
      location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search);
      return;
    }
    // Too many open tabs: reconnecting would close another tab's socket; this one stays offline.
    if (ev.code === 4008) return;
    // A socket refused before opening is most likely an expired access cookie.
    if (!opened) await refreshSession();
    retry = Math.min(retry + 1, 6);
    // 1012: the server is restarting (a rolling restart); another instance takes the socket.
    // Backoff doubles from 0.5 s to 15 s; a random share of it keeps every client of a restarted
    // instance from reconnecting in the same instant. The 'open' event then catches up (after=).
    const backoff = Math.min(500 * 2 ** (retry - 1), 15000);
    const wait = Math.max(backoff / 2 + Math.random() * (backoff / 2), holdUntil - Date.now());
    setTimeout(connectSocket, wait);
  });
}
/** Drops the socket on purpose (tests use it to simulate a network loss); it reconnects by itself
 * after `holdMs` at the earliest. */
export function dropSocket(holdMs = 0) {
  holdUntil = Date.now() + holdMs;
  if (socket) socket.close();
}
window.egdDropSocket = dropSocket;

// ---- rentals: actions and reviews, shared by my page, the rental page and chat
const ACTION_DONE = { accept: '수락했어요', reject: '거절했어요', cancel: '취소했어요', return: '반납을 확인했어요' };

export async function rentalAction(id, action) {
  if (action === 'reject' && !confirm('이 요청을 거절할까요?')) return null;
  if (action === 'cancel' && !confirm('정말 취소할까요?')) return null;
  const rental = await api('POST', `/rentals/${id}/${action}`);
  toast(ACTION_DONE[action] || '처리했어요');
  return rental;
}

/** Wires buttons with data-rental-action / data-review inside `root`; `after` runs on success. */
export function wireRentals(root, after) {
  const dialog = $('#review-dialog');
  const form = $('#review-form');
  let reviewing = 0;
  root.addEventListener('click', async (e) => {
    const btn = e.target.closest('[data-rental-action]');
    if (btn) {
      btn.disabled = true;
      try {
        const r = await rentalAction(btn.dataset.rentalId, btn.dataset.rentalAction);
        if (r) after(r);
      } catch (err) {
        toast(err.message, 'error');
      } finally {
        btn.disabled = false;
      }
      return;
    }
    const rv = e.target.closest('[data-review]');
    if (rv && dialog) {
      reviewing = rv.dataset.review;
      $('#review-sub').textContent = rv.dataset.reviewName ? `${rv.dataset.reviewName}님과의 대여는 어땠나요?` : '';
      $('#review-error').textContent = '';
      openDialog(dialog);
    }
  });
  if (form && !form.dataset.wired) {
    form.dataset.wired = '1';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const rating = Number(new FormData(form).get('rating'));
      const content = form.elements.content.value.trim();
      try {
        await api('POST', `/rentals/${reviewing}/reviews`, { rating, content });
        dialog.close();
        form.reset();
        toast('후기를 남겼어요. 고마워요!');
        after(null, Number(reviewing));
      } catch (err) {
        $('#review-error').textContent = err.status === 409 ? '이미 후기를 남겼어요' : err.message;
      }
    });
  }
}

// ---- 동네 picker backed by /api/v1/regions
export function regionPicker(box) {
  const hidden = $('input[type=hidden]', box);
  const input = $('input[type=search]', box);
  const list = $('.suggest', box);
  let timer;
  let items = [];
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1; };
  const choose = (r) => {
    hidden.value = r.code;
    input.value = r.name;
    input.removeAttribute('aria-invalid');
    const err = $('[data-error-for="region_code"]', box);
    if (err) err.textContent = '';
    close();
    box.dispatchEvent(new CustomEvent('region', { detail: r }));
  };
  const render = () => {
    list.replaceChildren(...items.map((r, i) => el('li', {
      role: 'option', id: `${input.id}-opt-${i}`, 'aria-selected': i === active ? 'true' : 'false',
      onmousedown: (e) => { e.preventDefault(); choose(r); },
    }, r.name)));
    if (!items.length) list.replaceChildren(el('li', { role: 'option', 'aria-disabled': 'true' }, '찾는 동네가 없어요'));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) input.setAttribute('aria-activedescendant', `${input.id}-opt-${active}`);
  };
  input.addEventListener('input', () => {
    hidden.value = '';
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(async () => {
      try {
        items = await api('GET', `/regions?level=3&q=${encodeURIComponent(q)}`);
        active = items.length ? 0 : -1;
        render();
      } catch (e) { /* keep typing */ }
    }, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') { active = Math.min(active + 1, items.length - 1); render(); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
    else if (e.key === 'Enter' && items[active]) { e.preventDefault(); choose(items[active]); }
    else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
}
