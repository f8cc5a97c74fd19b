// Admin: resolve reports.
import { $$, api, toast } from './lib.js';

const LABEL = { dismiss: '문제 없음으로 닫았어요', hide_item: '물품을 숨겼어요', suspend_user: '사용자를 정지했어요' };
$$('[data-resolve]').forEach((b) => b.addEventListener('click', async () => {
  if (b.dataset.action === 'suspend_user' && !confirm('이 사용자를 정지할까요?')) return;
  try {
    await api('POST', `/admin/reports/${b.dataset.resolve}/resolve`, { action: b.dataset.action });
    toast(LABEL[b.dataset.action]);
    b.closest('li').remove();
  } catch (e) {
    toast(e.message, 'error');
  }
}));
