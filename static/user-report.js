// Profile page: report this user to the admins (POST /users/{id}/reports).
import { $, api, openDialog, toast } from './lib.js';

const button = $('#report-user');
const dialog = $('#report-user-dialog');
const error = $('#report-user-error');
button?.addEventListener('click', () => { error.textContent = ''; openDialog(dialog); });
$('#report-user-form')?.addEventListener('change', () => { error.textContent = ''; });
$('#report-user-form')?.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const reason = new FormData(f).get('reason');
  if (!reason) { error.textContent = '신고 사유를 골라 주세요'; return; }
  const detail = f.elements.detail.value.trim();
  try {
    await api('POST', `/users/${button.dataset.user}/reports`, { reason, detail: detail || undefined });
    dialog.close();
    f.reset();
    toast('신고를 접수했어요. 확인 후 조치할게요');
  } catch (e) {
    error.textContent = e.status === 409 ? '이미 신고했어요. 처리될 때까지 기다려 주세요' : e.message;
  }
});
