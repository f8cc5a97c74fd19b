// Chat list: live last message and unread badge.
import { $, bus, me } from './lib.js';

bus.addEventListener('message', (e) => {
  const m = e.detail.message;
  const row = $(`[data-room-id="${m.room_id}"]`);
  if (!row) { location.reload(); return; }
  row.querySelector('.room-last').textContent = m.body;
  row.querySelector('.room-when').textContent = '방금 전';
  if (m.sender_id !== me()) {
    const badge = row.querySelector('.room-unread');
    badge.textContent = String(Number(badge.textContent || 0) + 1);
    badge.hidden = false;
  }
  const li = row.closest('li');
  li.parentNode.prepend(li);
});
bus.addEventListener('open', (e) => { if (e.detail.reconnect) location.reload(); });
