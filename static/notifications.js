// Notifications: opening one marks it read, then follows its link.
import { $, $$, api, bus, toast } from './lib.js';

$$('[data-note-id]').forEach((a) => a.addEventListener('click', async (e) => {
  if (!a.classList.contains('unread')) return;
  e.preventDefault();
  try { await api('POST', '/notifications/read', { ids: [Number(a.dataset.noteId)] }); } catch (err) { /* still go */ }
  location.href = a.getAttribute('href');
}));

$('#read-all')?.addEventListener('click', async (e) => {
  try {
    await api('POST', '/notifications/read', { all: true });
    $$('.note.unread').forEach((n) => n.classList.remove('unread'));
    bus.dispatchEvent(new CustomEvent('unread', { detail: 0 }));
    e.target.hidden = true;
    toast('모두 읽음으로 표시했어요');
  } catch (err) {
    toast(err.message, 'error');
  }
});

bus.addEventListener('notification', () => {
  const hint = $('#new-notes');
  if (!hint) {
    const p = document.createElement('p');
    p.id = 'new-notes';
    p.className = 'center';
    const b = document.createElement('button');
    b.className = 'btn small primary';
    b.textContent = '새 알림이 있어요 · 새로고침';
    b.addEventListener('click', () => location.reload());
    p.append(b);
    $('main section').prepend(p);
  }
});
