// Trust and safety in the browser: a neighbour blocks another from the profile page (their items
// and chat disappear, and come back on unblock), and verifies the 동네 with a faked location.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, shot, signup, pageApi as api } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
// 서울 마포구 서교동's centre in the bundled region data.
const SEOGYO = { latitude: 37.55494, longitude: 126.92381 };
const A = { email: `blocker${run}@example.com`, nickname: `막음${run}`.slice(0, 10), password: 'secret1234', dong: '서교동', code: '1144066000' };
const B = { email: `blocked${run}@example.com`, nickname: `막힘${run}`.slice(0, 10), password: 'secret5678', dong: '합정동', code: '1144068000' };
const TITLE = `차단 확인용 드릴 ${run}`;
let browser, ctxA, ctxB, pageA, pageB, bId, itemId, roomId;


before(async () => {
  browser = await launch();
  ctxA = await newContext(browser, { viewport: { width: 390, height: 844 }, geolocation: SEOGYO, permissions: ['geolocation'] });
  ctxB = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  pageA = await ctxA.newPage();
  pageB = await ctxB.newPage();
  for (const p of [pageA, pageB]) {
    p.on('pageerror', (e) => console.error('page error:', e.message));
    p.on('dialog', (d) => d.accept());
  }
  await signup(pageA, A);
  await signup(pageB, B);
  bId = (await api(pageB, 'GET', '/me')).body.id;
  const item = await api(pageB, 'POST', '/items', { section: 'lend', category_id: 4, title: TITLE, description: '충전 드릴', price: 3000, price_unit: 'day', region_code: B.code });
  assert.equal(item.status, 201, JSON.stringify(item.body));
  itemId = item.body.id;
  const room = await api(pageA, 'POST', `/items/${itemId}/chats`);
  roomId = room.body.id;
  await api(pageA, 'POST', `/chats/${roomId}/messages`, { body: '빌릴 수 있을까요?' });
});

after(async () => {
  await browser?.close();
});

test('blocking from the profile hides their items and chat; unblocking brings them back', async () => {
  await pageA.goto(`/?q=${encodeURIComponent(TITLE)}&range=all`);
  await pageA.locator('.card', { hasText: TITLE }).first().waitFor();
  await pageA.goto('/chats');
  await pageA.locator(`[data-room-id="${roomId}"]`).waitFor();

  await pageA.goto(`/users/${bId}`);
  await Promise.all([pageA.waitForEvent('load'), pageA.getByRole('button', { name: '차단하기' }).click()]);
  await pageA.getByRole('button', { name: '차단 해제' }).waitFor();
  await shot(pageA, 'profile-blocked');

  // Gone from search, from the chat list, and the item page is a 404 (both ways).
  await pageA.goto(`/?q=${encodeURIComponent(TITLE)}&range=all`);
  assert.equal(await pageA.locator('.card', { hasText: TITLE }).count(), 0);
  await pageA.goto('/chats');
  assert.equal(await pageA.locator(`[data-room-id="${roomId}"]`).count(), 0);
  const resp = await pageA.goto(`/items/${itemId}`);
  assert.equal(resp.status(), 404);
  const sent = await api(pageB, 'POST', `/chats/${roomId}/messages`, { body: '답장할게요' });
  assert.equal(sent.status, 403);

  // 설정 lists the block and lifts it.
  await pageA.goto('/me/settings');
  const blocked = pageA.locator('#blocked-users');
  await blocked.getByText(B.nickname).waitFor();
  await Promise.all([pageA.waitForEvent('load'), blocked.getByRole('button', { name: '차단 해제' }).click()]);
  await blocked.getByText('차단한 이웃이 없어요').waitFor();
  await pageA.goto(`/?q=${encodeURIComponent(TITLE)}&range=all`);
  await pageA.locator('.card', { hasText: TITLE }).first().waitFor();
});

test('the 동네 is verified from the browser location and shows a badge', async () => {
  await pageA.goto('/me/settings');
  const badge = pageA.locator('#verified-badge');
  assert.equal(await badge.isVisible(), false);
  await pageA.getByRole('button', { name: '동네 인증하기' }).click();
  await badge.waitFor({ state: 'visible' });
  await shot(pageA, 'region-verified');
  const me = await api(pageA, 'GET', '/me');
  assert.equal(me.body.region_verified, true);
  // The badge shows on the profile, and the home page filters by it.
  await pageA.goto(`/users/${me.body.id}`);
  await pageA.locator('.tag.verified').first().waitFor();
  await pageA.goto('/');
  await Promise.all([pageA.waitForURL(/verified=1/), pageA.getByRole('link', { name: '동네 인증 이웃만' }).click()]);
  assert.equal(await pageA.getByRole('link', { name: '동네 인증 이웃만' }).getAttribute('aria-pressed'), 'true');
});

test('a keyword set in 설정 brings a live alert when a neighbour posts a match', async () => {
  const word = `캠핑${run}`.slice(0, 10);
  await pageA.goto('/me/settings');
  await pageA.getByLabel('새 키워드').fill(word);
  await pageA.getByRole('button', { name: '키워드 추가' }).click();
  await pageA.locator('#keyword-list').getByText(word).waitFor();
  // A waits on the home page with the live socket; B (합정동, about 1 km away) posts a match.
  await pageA.goto('/');
  const badge = pageA.locator('#bell-badge');
  const before = (await badge.isVisible()) ? Number(await badge.textContent()) : 0;
  const item = await api(pageB, 'POST', '/items', { section: 'lend', category_id: 4, title: `${word} 의자 두 개`, description: '가벼워요', price: 2000, price_unit: 'day', region_code: B.code });
  assert.equal(item.status, 201, JSON.stringify(item.body));
  await pageA.waitForFunction((n) => {
    const b = document.querySelector('#bell-badge');
    return b && !b.hidden && Number(b.textContent) > n;
  }, before, { timeout: 10000 });
  await pageA.goto('/notifications');
  await pageA.getByText(`관심 키워드 '${word}' 새 글`).first().waitFor();
  await shot(pageA, 'keyword-alert');
});
