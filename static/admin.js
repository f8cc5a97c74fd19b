// Admin: settle disputes, resolve reports (item and user reports), restore items an admin hid.
import { $, $$, api, toast } from './lib.js';

const LABEL = { dismiss: '문제 없음으로 닫았어요', hide_item: '물품을 숨겼어요', suspend_user: '사용자를 정지했어요' };
$$('[data-resolve]').forEach((b) => b.addEventListener('click', async () => {
  if (b.dataset.action === 'suspend_user' && !confirm('이 사용자를 정지할까요?')) return;
  try {
    await api('POST', `/admin/reports/${b.dataset.resolve}/resolve`, { action: b.dataset.action });
    toast(b.dataset.done || LABEL[b.dataset.action]);
    b.closest('li').remove();
  } catch (e) {
    toast(e.message, 'error');
  }
}));

$$('[data-restore]').forEach((b) => b.addEventListener('click', async () => {
  b.disabled = true;
  try {
    await api('POST', `/admin/items/${b.dataset.restore}/restore`);
    toast('물품을 복구했어요. 다시 목록에 보여요');
    b.closest('li').remove();
  } catch (e) {
    b.disabled = false;
    toast(e.message, 'error');
  }
}));

$$('form.resolve-dispute').forEach((form) => form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const resolution = form.elements.resolution.value.trim();
  const error = $('.field-error', form);
  if (!resolution) {
    error.textContent = '결정 내용을 적어 주세요';
    return;
  }
  try {
    await api('POST', `/admin/disputes/${form.dataset.dispute}/resolve`, { resolution });
    toast('분쟁을 처리했어요. 두 사람에게 알렸어요');
    form.closest('li').remove();
  } catch (err) {
    error.textContent = err.message;
  }
}));
