// The whole neighbourly story in two browsers, then bookmarks, reports, edit/delete, dark mode and phone widths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, launch, newContext, shot, signup, png, localInput } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
const A = { email: `lender${run}@example.com`, nickname: `빌려줌${run}`.slice(0, 10), password: 'secret1234', dong: '서교동', code: '1144066000' };
const B = { email: `borrower${run}@example.com`, nickname: `빌림${run}`.slice(0, 10), password: 'secret5678', dong: '합정동', code: '1144068000' };
const TITLE = `캠핑 의자 두 개 ${run}`;

let browser, ctxA, ctxB, pageA, pageB;
let itemId, roomId, rentalId, userAId;

before(async () => {
  browser = await launch();
  ctxA = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  ctxB = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  pageA = await ctxA.newPage();
  pageB = await ctxB.newPage();
  for (const p of [pageA, pageB]) {
    p.on('pageerror', (e) => console.error('page error:', e.message));
  }
});

after(async () => {
  await browser?.close();
});

test('a visitor sees the welcome box, a CSP header and friendly 404 pages', async () => {
  const resp = await pageA.goto('/');
  assert.match(resp.headers()['content-security-policy'], /script-src 'self'/);
  assert.equal(await pageA.locator('html').getAttribute('lang'), 'ko');
  await pageA.getByRole('heading', { name: '필요할 때 잠깐, 이웃에게 빌려요' }).waitFor();
  await pageA.locator('.chips').getByText('캠핑/레저').waitFor();
  const missing = await pageA.goto('/no/such/page');
  assert.equal(missing.status(), 404);
  await pageA.getByRole('heading', { name: '페이지를 찾을 수 없어요' }).waitFor();
  await shot(pageA, 'not-found');
  const api = await pageA.request.get('/api/v1/nope');
  assert.equal(api.status(), 404);
  assert.equal((await api.json()).error.code, 'not_found');
});

test('sign-up keeps what was typed on an error, then two neighbours join in nearby 동네', async () => {
  await pageB.goto('/signup');
  await pageB.getByLabel('이메일').fill(B.email);
  await pageB.getByLabel('닉네임').fill(B.nickname);
  await pageB.getByLabel('비밀번호', { exact: true }).fill('short');
  await pageB.getByLabel('비밀번호 확인').fill('short');
  await pageB.getByRole('button', { name: '가입하기' }).click();
  await pageB.locator('[data-error-for=password]').filter({ hasText: '8–64자' }).waitFor();
  assert.equal(await pageB.getByLabel('이메일').inputValue(), B.email);
  await shot(pageB, 'signup-error');

  await signup(pageA, A);
  await pageA.getByRole('heading', { name: `${A.nickname}님, 안녕하세요` }).waitFor();
  await pageA.locator('.welcome').getByText('서교동').waitFor();
  await signup(pageB, B);
  await pageB.locator('.welcome').getByText('합정동').waitFor();
  const cookies = await ctxA.cookies();
  const access = cookies.find((c) => c.name === 'egd_access');
  assert.ok(access && access.httpOnly && access.sameSite === 'Lax');
  const refresh = cookies.find((c) => c.name === 'egd_refresh');
  assert.ok(refresh && refresh.httpOnly && refresh.path === '/session');
  assert.ok(cookies.find((c) => c.name === 'egd_csrf' && !c.httpOnly));
  const me = await (await pageA.request.get('/api/v1/me')).json();
  userAId = me.id;
});

test('the lender posts an item with photos (validated inline, reordered and trimmed before upload)', async () => {
  await pageA.goto('/');
  await pageA.getByRole('link', { name: '물품 등록' }).first().click();
  await pageA.waitForURL('**/items/new');
  await pageA.getByRole('button', { name: '등록하기' }).click();
  await pageA.locator('[data-error-for=title]').filter({ hasText: '2–40자' }).waitFor();
  await pageA.locator('[data-error-for=category_id]').filter({ hasText: '카테고리' }).waitFor();

  const files = [await png(pageA, '#12b886', 'one'), await png(pageA, '#f59f00', 'two'), await png(pageA, '#228be6', 'three')];
  await pageA.locator('#f-photos').setInputFiles(files);
  await pageA.locator('.photo').nth(2).waitFor();
  await pageA.getByRole('button', { name: '사진 2 삭제' }).click();
  assert.equal(await pageA.locator('.photo').count(), 2);
  await pageA.getByRole('button', { name: '사진 2 앞으로' }).click();

  await pageA.getByLabel('제목').fill(TITLE);
  await pageA.getByLabel('카테고리').selectOption({ label: '캠핑/레저' });
  await pageA.getByLabel('가격 (원)').fill('5000');
  await pageA.getByLabel('단위').selectOption('day');
  await pageA.getByLabel('보증금 (원, 선택)').fill('20000');
  await pageA.getByLabel('설명').fill('튼튼한 캠핑 의자예요.\n주말에 빌려 가세요.');
  await shot(pageA, 'item-new');
  await Promise.all([pageA.waitForURL(/\/items\/\d+$/), pageA.getByRole('button', { name: '등록하기' }).click()]);
  itemId = Number(new URL(pageA.url()).pathname.split('/').pop());
  await pageA.getByRole('heading', { name: TITLE }).waitFor();
  await pageA.getByText('5,000원 / 일').waitFor();
  assert.equal(await pageA.locator('.thumb-btn').count(), 2);
  const detail = await (await pageA.request.get(`/api/v1/items/${itemId}`)).json();
  assert.equal(detail.images.length, 2);
  // "three" was moved first: the first image is the thumbnail.
  assert.equal(detail.thumbnail_url, detail.images[0].thumbnail_url);
  await shot(pageA, 'item-owner');
});

test('the borrower finds the item by search, by category and within 내 동네', async () => {
  await pageB.goto('/');
  await pageB.getByLabel('검색어').fill('캠핑 의자');
  await pageB.getByRole('button', { name: '검색' }).click();
  await pageB.waitForURL(/q=/);
  await pageB.locator('.card', { hasText: TITLE }).waitFor();
  await pageB.goto('/');
  await pageB.locator('.chips').getByRole('link', { name: '캠핑/레저' }).click();
  await pageB.waitForURL(/category=camping/);
  await pageB.locator('.card', { hasText: TITLE }).waitFor();
  await pageB.locator('.chips').getByRole('link', { name: '공구' }).click();
  await pageB.waitForURL(/category=tools/);
  assert.equal(await pageB.locator('.card', { hasText: TITLE }).count(), 0);
  await pageB.goto('/');
  await pageB.locator('.ranges').getByRole('link', { name: /내 동네/ }).click();
  await pageB.waitForURL(/range=mine/);
  await pageB.locator('.card', { hasText: TITLE }).waitFor();
  await shot(pageB, 'home-search');
});

test('they chat live both ways, with read marks and catch-up after a dropped connection', async () => {
  await pageB.goto(`/items/${itemId}`);
  await Promise.all([pageB.waitForURL(/\/chats\/\d+$/), pageB.getByRole('button', { name: '채팅하기' }).click()]);
  roomId = Number(new URL(pageB.url()).pathname.split('/').pop());
  await pageB.getByLabel('메시지').fill('안녕하세요! 이번 주말에 빌릴 수 있을까요?');
  await pageB.getByRole('button', { name: '보내기' }).click();
  await pageB.locator('.msg.me:not(.pending)', { hasText: '이번 주말에' }).waitFor();

  await pageA.goto('/chats');
  const row = pageA.locator(`[data-room-id="${roomId}"]`);
  await row.getByText('이번 주말에').waitFor();
  assert.equal((await row.locator('.room-unread').textContent()).trim(), '1');
  await pageA.locator('#bell-badge:not([hidden])').waitFor();
  await shot(pageA, 'chats');
  await row.click();
  await pageA.waitForURL(`**/chats/${roomId}`);
  await pageA.locator('.msg.other', { hasText: '이번 주말에' }).waitFor();
  // B sees that A read it, live.
  await pageB.locator('.read-mark').waitFor();

  await pageA.getByLabel('메시지').fill('네, 가능해요. 토요일 오전 어떠세요?');
  await pageA.getByLabel('메시지').press('Enter');
  await pageB.locator('.msg.other', { hasText: '토요일 오전' }).waitFor();

  // B loses the connection for a few seconds; A writes meanwhile; B catches up after reconnecting.
  await pageB.evaluate(() => window.egdDropSocket(3000));
  await pageB.locator('#conn-status:not([hidden])').waitFor();
  await pageA.getByLabel('메시지').fill('연결이 끊긴 사이에 보낸 메시지');
  await pageA.getByRole('button', { name: '보내기' }).click();
  await pageA.locator('.msg.me:not(.pending)', { hasText: '끊긴 사이에' }).waitFor();
  await pageB.locator('.msg.other', { hasText: '끊긴 사이에' }).waitFor({ timeout: 15000 });
  await pageB.locator('#conn-status').waitFor({ state: 'hidden' });
  await shot(pageB, 'chat');
});

test('a rental is requested, accepted from the chat, returned, and both review each other', async () => {
  await pageB.goto(`/items/${itemId}`);
  const start = new Date(Date.now() + 2 * 24 * 3600e3);
  start.setHours(10, 0, 0, 0);
  const end = new Date(start.getTime() + 2 * 24 * 3600e3);
  await pageB.getByLabel('시작').fill(localInput(start));
  await pageB.getByLabel('반납').fill(localInput(end));
  await pageB.locator('#rent-quote', { hasText: '10,000원' }).waitFor();
  await shot(pageB, 'item-rent');
  await Promise.all([pageB.waitForURL(/\/rentals\/\d+$/), pageB.getByRole('button', { name: '대여 요청하기' }).click()]);
  rentalId = Number(new URL(pageB.url()).pathname.split('/').pop());
  await pageB.locator('.tag', { hasText: '요청 중' }).waitFor();

  // The lender sees the system message live in the open chat, with the accept button.
  const sys = pageA.locator('.msg.system').last();
  await sys.getByRole('button', { name: '수락' }).waitFor();
  await shot(pageA, 'chat-system');
  await sys.getByRole('button', { name: '수락' }).click();
  await pageA.locator('.msg.system').last().getByRole('button', { name: '반납 확인' }).waitFor();

  // The borrower is notified; the notification opens the rental page.
  await pageB.goto('/notifications');
  await shot(pageB, 'notifications');
  const note = pageB.locator('.note').first();
  await Promise.all([pageB.waitForURL((u) => !new URL(u).pathname.startsWith('/notifications')), note.click()]);
  await pageB.goto(`/rentals/${rentalId}`);
  await pageB.locator('.tag', { hasText: '대여 예정' }).waitFor();

  // The lender confirms the return, then reviews.
  await pageA.goto(`/rentals/${rentalId}`);
  await pageA.getByRole('button', { name: '반납 확인' }).click();
  await pageA.locator('.tag', { hasText: '반납 완료' }).waitFor();
  await pageA.getByRole('button', { name: '후기 쓰기' }).click();
  await pageA.getByLabel('5점').check();
  await pageA.getByLabel('후기 (선택, 300자까지)').fill('약속 시간을 잘 지켜 주셨어요.');
  await pageA.getByRole('button', { name: '후기 남기기' }).click();
  await pageA.waitForLoadState('load');
  await pageA.getByText('후기를 남겼어요').first().waitFor();
  // Back in the chat, the returned rental offers the lender no second review.
  const loaded = pageA.waitForResponse((r) => r.url().endsWith(`/api/v1/rentals/${rentalId}`));
  await pageA.goto(`/chats/${roomId}`);
  await loaded;
  const latest = pageA.locator('.msg.system').last();
  await latest.getByRole('link', { name: '대여 정보' }).waitFor();
  await pageA.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  assert.equal(await latest.getByRole('button', { name: '후기 쓰기' }).count(), 0);

  // The borrower reviews from 대여 완료 on my page.
  await pageB.goto('/me?tab=done');
  const mine = pageB.locator(`.rental[data-rental-id="${rentalId}"]`);
  await mine.locator('.tag', { hasText: '반납 완료' }).waitFor();
  await shot(pageB, 'me-done');
  await mine.getByRole('button', { name: '후기 쓰기' }).click();
  await pageB.getByLabel('4점').check();
  await pageB.getByLabel('후기 (선택, 300자까지)').fill('깨끗한 의자였어요. 고마워요!');
  await pageB.getByRole('button', { name: '후기 남기기' }).click();
  await pageB.getByText('후기를 남겼어요').first().waitFor();

  // Both reviewed: the reviews are public on the profiles and the item.
  await pageB.goto(`/users/${userAId}`);
  await pageB.getByText('깨끗한 의자였어요').waitFor();
  await pageB.getByText(/매너 점수 80점/).waitFor();
  await shot(pageB, 'profile');
});

test('bookmark toggles and shows in 찜한 물품', async () => {
  await pageB.goto(`/items/${itemId}`);
  const bm = pageB.getByRole('button', { name: '찜하기' });
  await bm.click();
  await pageB.locator('#bookmark-btn[aria-pressed=true]').waitFor();
  assert.equal((await pageB.locator('#bm-count').textContent()).trim(), '1');
  await pageB.goto('/me?tab=bookmarks');
  await pageB.locator('.card', { hasText: TITLE }).waitFor();
  await pageB.goto(`/items/${itemId}`);
  await pageB.getByRole('button', { name: '찜하기' }).click();
  await pageB.locator('#bookmark-btn[aria-pressed=false]').waitFor();
  assert.equal((await pageB.locator('#bm-count').textContent()).trim(), '0');
});

test('a report is filed once, and an admin resolves it', async () => {
  await pageB.goto(`/items/${itemId}`);
  await pageB.getByRole('button', { name: '이 글 신고하기' }).click();
  await pageB.getByLabel('사기가 의심돼요').check();
  await pageB.getByLabel('자세한 내용 (선택)').fill('테스트 신고예요');
  await shot(pageB, 'report-dialog', false);
  await pageB.locator('#report-form').getByRole('button', { name: '신고하기' }).click();
  await pageB.locator('#toast', { hasText: '신고를 접수했어요' }).waitFor();
  await pageB.getByRole('button', { name: '이 글 신고하기' }).click();
  await pageB.getByLabel('기타').check();
  await pageB.locator('#report-form').getByRole('button', { name: '신고하기' }).click();
  await pageB.locator('#report-error', { hasText: '이미 신고한 글이에요' }).waitFor();
  await pageB.keyboard.press('Escape');

  const forbidden = await pageB.goto('/admin');
  assert.equal(forbidden.status(), 403);

  if (process.env.EGD_BIN && process.env.EGD_DATA_DIR) {
    execFileSync(process.env.EGD_BIN, ['admin', 'grant', A.email, '--data-dir', process.env.EGD_DATA_DIR]);
    await pageA.goto('/admin');
    const report = pageA.locator('[data-report-id]', { hasText: TITLE });
    await report.waitFor();
    await shot(pageA, 'admin');
    await report.getByRole('button', { name: '물품 숨기기' }).click();
    await report.waitFor({ state: 'detached' });
    assert.equal((await pageB.goto(`/items/${itemId}`)).status(), 404);

    // The owner is told, and cannot show it again; only the admin's 복구 can.
    await pageA.goto(`/items/${itemId}`);
    await pageA.locator('#moderated-notice', { hasText: '운영자가 이 물건을 숨겼어요' }).waitFor();
    assert.equal(await pageA.locator('#hide-btn').count(), 0);
    await pageA.goto('/admin');
    const hidden = pageA.locator('[data-hidden-item]', { hasText: TITLE });
    await hidden.getByRole('button', { name: '복구' }).click();
    await hidden.waitFor({ state: 'detached' });
    assert.equal((await pageB.goto(`/items/${itemId}`)).status(), 200);
  }
});

test('the owner edits, hides and deletes items', async () => {
  await pageA.goto(`/items/${itemId}`);
  await pageA.getByRole('link', { name: '수정', exact: true }).click();
  await pageA.waitForURL(`**/items/${itemId}/edit`);
  assert.equal(await pageA.getByLabel('제목').inputValue(), TITLE);
  assert.equal(await pageA.locator('.photo').count(), 2);
  await pageA.getByLabel('제목').fill(`${TITLE} (수정)`);
  await pageA.getByRole('button', { name: '사진 1 삭제' }).click();
  await Promise.all([pageA.waitForURL(`**/items/${itemId}`), pageA.getByRole('button', { name: '수정 완료' }).click()]);
  await pageA.getByRole('heading', { name: `${TITLE} (수정)` }).waitFor();
  assert.equal(await pageA.locator('.thumb-btn').count(), 0);

  await pageA.getByRole('button', { name: '숨기기' }).click();
  await pageA.getByRole('button', { name: '다시 보이기' }).waitFor();
  assert.equal((await pageB.goto(`/items/${itemId}`)).status(), 404);
  await pageA.getByRole('button', { name: '다시 보이기' }).click();
  await pageA.getByRole('button', { name: '숨기기' }).waitFor();
  assert.equal((await pageB.goto(`/items/${itemId}`)).status(), 200);

  // A second listing in 빌려요 with the price left to agree, then deleted.
  await pageA.goto('/items/new');
  await pageA.getByLabel('빌려요', { exact: true }).check();
  await pageA.getByLabel('제목').fill(`전동 드릴 구해요 ${run}`);
  await pageA.getByLabel('카테고리').selectOption({ label: '공구' });
  await Promise.all([pageA.waitForURL(/\/items\/\d+$/), pageA.getByRole('button', { name: '등록하기' }).click()]);
  const second = Number(new URL(pageA.url()).pathname.split('/').pop());
  await pageA.getByText('가격 협의').first().waitFor();
  await pageA.locator('.tag.borrow').first().waitFor();
  await pageA.getByRole('button', { name: '삭제', exact: true }).click();
  await pageA.getByRole('button', { name: '삭제하기' }).click();
  await pageA.waitForURL('**/me?tab=items');
  assert.equal(await pageA.locator('.card', { hasText: '전동 드릴 구해요' }).count(), 0);
  await pageA.locator('.card', { hasText: TITLE }).waitFor();
  assert.equal((await pageA.goto(`/items/${second}`)).status(), 404);
});

test('dark mode follows the toggle, persists without a flash, and follows the system by default', async () => {
  await pageA.goto('/');
  assert.equal(await pageA.locator('html').getAttribute('data-theme'), 'light');
  await shot(pageA, 'home-light');
  await pageA.locator('#theme-toggle').click();
  assert.equal(await pageA.locator('html').getAttribute('data-theme'), 'dark');
  await pageA.reload();
  // theme.js runs synchronously in <head>: the attribute is there before any module script.
  assert.equal(await pageA.locator('html').getAttribute('data-theme'), 'dark');
  const bg = await pageA.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(26, 27, 30)');
  await shot(pageA, 'home-dark');
  await pageA.goto(`/items/${itemId}`);
  await shot(pageA, 'item-dark');
  await pageA.locator('#theme-toggle').click();
  assert.equal(await pageA.locator('html').getAttribute('data-theme'), 'light');

  const sys = await newContext(browser, { colorScheme: 'dark' });
  const p = await sys.newPage();
  await p.goto('/');
  assert.equal(await p.locator('html').getAttribute('data-theme'), 'dark');
  await sys.close();
});

test('phones: home and item pages at 390 px wide', async () => {
  const phone = await newContext(browser, {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    storageState: await ctxB.storageState(),
  });
  const p = await phone.newPage();
  await p.goto('/');
  await p.locator('.card').first().waitFor();
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `home overflows by ${overflow}px`);
  await shot(p, 'home-390', false);
  await p.goto(`/items/${itemId}`);
  await shot(p, 'item-390');
  await p.goto(`/chats/${roomId}`);
  await p.locator('.msg').first().waitFor();
  await shot(p, 'chat-390', false);
  await p.goto('/me');
  await shot(p, 'me-390', false);
  await phone.close();
});

test('profile edit, password change, log-out, log-in, and account deletion', async () => {
  await pageB.goto('/me/settings');
  await pageB.getByLabel('소개').fill('합정동 사는 캠핑 초보예요');
  await pageB.locator('#profile-form').getByRole('button', { name: '저장' }).click();
  await pageB.locator('#toast', { hasText: '프로필을 저장했어요' }).waitFor();
  await pageB.getByLabel('프로필 사진').setInputFiles(await png(pageB, '#7048e8', 'me'));
  await pageB.locator('img#avatar-preview').waitFor();
  await shot(pageB, 'settings');

  await pageB.getByLabel('지금 비밀번호').fill('wrongpass1');
  await pageB.getByLabel('새 비밀번호').fill('newsecret99');
  await pageB.getByRole('button', { name: '비밀번호 바꾸기' }).click();
  await pageB.locator('[data-error-for=current_password]:not(:empty)').waitFor();
  await pageB.getByLabel('지금 비밀번호').fill(B.password);
  await pageB.getByRole('button', { name: '비밀번호 바꾸기' }).click();
  await pageB.waitForURL(`${BASE}/`);
  await pageB.getByRole('link', { name: '로그인' }).first().waitFor();

  await pageB.goto('/login');
  await pageB.getByLabel('이메일').fill(B.email);
  await pageB.getByLabel('비밀번호').fill(B.password);
  await pageB.getByRole('button', { name: '로그인' }).click();
  await pageB.locator('.form-error', { hasText: '맞지 않아요' }).waitFor();
  assert.equal(await pageB.getByLabel('이메일').inputValue(), B.email);
  await pageB.getByLabel('비밀번호').fill('newsecret99');
  await Promise.all([pageB.waitForURL(`${BASE}/`), pageB.getByRole('button', { name: '로그인' }).click()]);
  await pageB.getByRole('heading', { name: `${B.nickname}님, 안녕하세요` }).waitFor();

  // A third neighbour signs up and leaves again.
  const ctxC = await newContext(browser);
  const pageC = await ctxC.newPage();
  const C = { email: `leaver${run}@example.com`, nickname: `떠남${run}`.slice(0, 10), password: 'bye123456', dong: '서교동' };
  await signup(pageC, C);
  await pageC.goto('/me/settings');
  await pageC.getByRole('button', { name: '회원 탈퇴' }).click();
  await pageC.getByLabel('비밀번호', { exact: true }).last().fill(C.password);
  await pageC.getByRole('button', { name: '탈퇴하기' }).click();
  await pageC.waitForURL(`${BASE}/`);
  await pageC.getByRole('heading', { name: '필요할 때 잠깐, 이웃에게 빌려요' }).waitFor();
  await pageC.goto('/login');
  await pageC.getByLabel('이메일').fill(C.email);
  await pageC.getByLabel('비밀번호').fill(C.password);
  await pageC.getByRole('button', { name: '로그인' }).click();
  await pageC.locator('.form-error').waitFor();
  await ctxC.close();
});

test('an expired access cookie is refreshed through the session endpoint', async () => {
  const cookies = await ctxA.cookies();
  const access = cookies.find((c) => c.name === 'egd_access');
  await ctxA.addCookies([{ ...access, value: 'expired.token.value' }]);
  await pageA.goto('/me');
  await pageA.waitForURL('**/me');
  await pageA.getByRole('heading', { name: A.nickname }).waitFor();
  const fresh = (await ctxA.cookies()).find((c) => c.name === 'egd_access');
  assert.notEqual(fresh.value, 'expired.token.value');
});
