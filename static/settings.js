// Profile edit, avatar, notification settings, password change, account deletion; also the
// feedback form.
import { $, $$, api, toast, clearErrors, showErrors, openDialog, regionPicker, csrf, expectSessionEnd } from './lib.js';

$$('[data-region-picker]').forEach(regionPicker);

const profile = $('#profile-form');
profile?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(profile);
  const f = profile.elements;
  if (f.region_name.value.trim() && !f.region_code.value) {
    $('[data-error-for="region_code"]', profile).textContent = '목록에서 동네를 골라 주세요';
    return;
  }
  const patch = { nickname: f.nickname.value.trim(), bio: f.bio.value.trim() };
  patch.region_code = f.region_code.value || null;
  try {
    const user = await api('PATCH', '/me', patch);
    // Another 동네 is not verified yet.
    const badge = $('#verified-badge');
    if (badge) badge.hidden = !user.region_verified;
    const vb = $('#verify-btn');
    if (vb) vb.disabled = !user.region;
    toast('프로필을 저장했어요');
  } catch (err) {
    showErrors(profile, err.fields, err.message);
  }
});

const avatar = $('#avatar');
avatar?.addEventListener('change', async () => {
  const file = avatar.files[0];
  if (!file) return;
  const err = $('[data-error-for="image"]');
  err.textContent = '';
  const fd = new FormData();
  fd.append('image', file, file.name);
  try {
    const user = await api('PUT', '/me/avatar', fd);
    const prev = $('#avatar-preview');
    const img = document.createElement('img');
    img.className = 'avatar big';
    img.id = 'avatar-preview';
    img.alt = '내 프로필 사진';
    img.src = user.avatar_url;
    prev.replaceWith(img);
    toast('프로필 사진을 바꿨어요');
  } catch (e) {
    err.textContent = e.message;
  }
});

const pw = $('#password-form');
pw?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(pw);
  const f = pw.elements;
  const np = f.new_password.value;
  if (np.length < 8 || np.length > 64 || !/[A-Za-z]/.test(np) || !/\d/.test(np)) {
    showErrors(pw, { new_password: '비밀번호는 8–64자, 영문과 숫자를 함께 써 주세요' });
    return;
  }
  try {
    expectSessionEnd();
    // An account made with Kakao has no current password to send.
    const body = f.current_password ? { current_password: f.current_password.value, new_password: np } : { new_password: np };
    await api('POST', '/me/password', body);
    toast(f.current_password ? '비밀번호를 바꿨어요. 새 비밀번호로 다시 로그인해 주세요' : '비밀번호를 정했어요. 새 비밀번호로 다시 로그인해 주세요');
    setTimeout(() => $('#logout-form').submit(), 1200);
  } catch (err) {
    expectSessionEnd(false);
    if (!showErrors(pw, err.fields)) showErrors(pw, { current_password: err.message });
  }
});

const delDialog = $('#delete-account-dialog');
$('#delete-account')?.addEventListener('click', () => openDialog(delDialog));
$('#delete-account-form')?.addEventListener('submit', async (e) => {
  e.preventDefault();
  const confirm = $('#del-confirm');
  if (confirm && !confirm.checked) {
    $('#del-error').textContent = '탈퇴를 확인해 주세요';
    return;
  }
  try {
    expectSessionEnd();
    await api('DELETE', '/me', confirm ? { confirm: true } : { password: $('#del-password').value });
    await fetch('/session/logout', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=' + encodeURIComponent(csrf()),
    });
    location.href = '/';
  } catch (err) {
    expectSessionEnd(false);
    $('#del-error').textContent = err.status === 400 ? '비밀번호가 맞지 않아요' : err.message;
  }
});

$$('[data-unlink]').forEach((btn) => btn.addEventListener('click', async () => {
  const out = $('#unlink-error');
  out.textContent = '';
  btn.disabled = true;
  try {
    await api('DELETE', `/me/identities/${btn.dataset.unlink}`);
    location.reload();
  } catch (err) {
    btn.disabled = false;
    out.textContent = err.message;
  }
}));

$$('[data-unblock]').forEach((btn) => btn.addEventListener('click', async () => {
  const out = $('#unblock-error');
  out.textContent = '';
  btn.disabled = true;
  try {
    await api('DELETE', `/me/blocks/${btn.dataset.unblock}`);
    location.reload();
  } catch (err) {
    btn.disabled = false;
    out.textContent = err.message;
  }
}));

// 동네 인증: the browser's location, checked by the server against the 동's centre.
const verifyBtn = $('#verify-btn');
verifyBtn?.addEventListener('click', () => {
  const out = $('#verify-error');
  out.textContent = '';
  if (!navigator.geolocation) {
    out.textContent = '이 브라우저에서는 위치를 알 수 없어요';
    return;
  }
  verifyBtn.disabled = true;
  navigator.geolocation.getCurrentPosition(async (pos) => {
    try {
      await api('POST', '/me/region/verify', { lat: pos.coords.latitude, lng: pos.coords.longitude });
      $('#verified-badge').hidden = false;
      toast('동네를 인증했어요');
    } catch (err) {
      out.textContent = err.fields?.location || err.fields?.region_code || err.message;
    } finally {
      verifyBtn.disabled = false;
    }
  }, () => {
    verifyBtn.disabled = false;
    out.textContent = '위치 정보를 가져오지 못했어요. 브라우저에서 위치 권한을 허용해 주세요';
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
});

// 알림 설정: every kind's checkbox and the keyword-alert radius, saved in one PATCH.
const notify = $('#notify-form');
notify?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(notify);
  const kinds = {};
  $$('input[name="kind"]', notify).forEach((c) => { kinds[c.value] = c.checked; });
  const radius = Number(notify.elements.alert_radius_km.value);
  try {
    await api('PATCH', '/me/notification-settings', { kinds, alert_radius_km: radius });
    toast('알림 설정을 저장했어요');
  } catch (err) {
    showErrors(notify, err.fields, err.message);
  }
});

const fb = $('#feedback-form');
fb?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(fb);
  const title = fb.elements.title.value.trim();
  const content = fb.elements.content.value.trim();
  const problems = {};
  if (!title) problems.title = '제목을 써 주세요';
  if (!content) problems.content = '내용을 써 주세요';
  if (Object.keys(problems).length) { showErrors(fb, problems); return; }
  try {
    await api('POST', '/feedback', { title, content });
    fb.reset();
    toast('의견을 보냈어요. 고마워요!');
  } catch (err) {
    showErrors(fb, err.fields, err.message);
  }
});

// 키워드 알림: add and delete keywords through the JSON API; the list is redrawn in place.
const kwForm = $('#keyword-form');
const kwList = $('#keyword-list');
async function deleteKeyword(btn) {
  const out = $('#keyword-error');
  out.textContent = '';
  btn.disabled = true;
  try {
    await api('DELETE', `/me/keywords/${btn.dataset.keywordDelete}`);
    btn.closest('li')?.remove();
  } catch (err) {
    btn.disabled = false;
    out.textContent = err.message;
  }
}
$$('[data-keyword-delete]').forEach((btn) => btn.addEventListener('click', () => deleteKeyword(btn)));
kwForm?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(kwForm);
  const keyword = kwForm.elements.keyword.value.trim();
  if (!keyword) { showErrors(kwForm, { keyword: '키워드를 써 주세요' }); return; }
  if (keyword.length > 20) { showErrors(kwForm, { keyword: '키워드는 1~20자로 써 주세요' }); return; }
  try {
    const k = await api('POST', '/me/keywords', { keyword });
    const li = document.createElement('li');
    const word = document.createElement('span');
    word.textContent = k.keyword;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn small';
    btn.dataset.keywordDelete = String(k.id);
    btn.textContent = '삭제';
    btn.addEventListener('click', () => deleteKeyword(btn));
    li.append(word, btn);
    kwList?.append(li);
    kwForm.reset();
    toast('키워드를 추가했어요');
  } catch (err) {
    if (err.status === 409) showErrors(kwForm, { keyword: '이미 등록한 키워드예요' });
    else showErrors(kwForm, err.fields, err.message);
  }
});
