// Every page: theme toggle, the live socket and the notification bell.
import { $, api, bus, connectSocket, me } from './lib.js';

const root = document.documentElement;
const toggle = $('#theme-toggle');
function syncToggle() {
  const dark = root.getAttribute('data-theme') === 'dark';
  toggle.setAttribute('aria-pressed', String(dark));
  toggle.title = dark ? '라이트 모드로 바꾸기' : '다크 모드로 바꾸기';
}
if (toggle) {
  syncToggle();
  toggle.addEventListener('click', () => {
    const next = root.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
    root.setAttribute('data-theme', next);
    try { localStorage.setItem('egd-theme', next); } catch (e) { /* private mode */ }
    syncToggle();
  });
  new MutationObserver(syncToggle).observe(root, { attributes: true, attributeFilter: ['data-theme'] });
}

const badge = $('#bell-badge');
export function setUnread(n) {
  if (!badge) return;
  badge.textContent = n > 99 ? '99+' : String(n);
  badge.hidden = !n;
  $('#bell')?.setAttribute('aria-label', n ? `알림 ${n}개 안 읽음` : '알림');
}

if (me()) {
  api('GET', '/notifications?unread=true&per_page=1')
    .then((page) => setUnread(page.unread_count || 0))
    .catch(() => {});
  bus.addEventListener('notification', (e) => setUnread(e.detail.unread_count || 0));
  bus.addEventListener('unread', (e) => setUnread(e.detail));
  connectSocket();
}
