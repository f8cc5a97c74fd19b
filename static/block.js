// Block or unblock a neighbour from their profile (the server decides; the page reloads to show
// what changed).
import { $, api, toast } from './lib.js';

const btn = $('#block-user');
btn?.addEventListener('click', async () => {
  const blocked = btn.dataset.blocked === 'true';
  if (!blocked && !confirm('차단하면 서로의 물건이 보이지 않고, 채팅과 대여 요청을 할 수 없어요. 차단할까요?')) return;
  btn.disabled = true;
  try {
    await api(blocked ? 'DELETE' : 'PUT', `/me/blocks/${btn.dataset.user}`);
    toast(blocked ? '차단을 풀었어요' : '차단했어요');
    location.reload();
  } catch (err) {
    btn.disabled = false;
    $('#block-error').textContent = err.message;
  }
});
