// Reporting a neighbour from their profile (issue #14): the dialog on a phone in dark mode, the
// 409 while the report is open, and an admin's queue showing it as a user report to suspend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launch, newContext, shot, signup } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
const R = { email: `reporter${run}@example.com`, nickname: `신고함${run}`.slice(0, 10), password: 'secret1234', dong: '서교동', code: '1144066000' };
const T = { email: `target${run}@example.com`, nickname: `대상${run}`.slice(0, 10), password: 'secret5678', dong: '합정동', code: '1144068000' };

let browser, ctxR, ctxT, pageR, pageT, targetId;

before(async () => {
  browser = await launch();
  ctxR = await newContext(browser, { viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  ctxT = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  pageR = await ctxR.newPage();
  pageT = await ctxT.newPage();
  for (const p of [pageR, pageT]) p.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
});

test('a neighbour reports another from the profile page, once while it is open', async () => {
  await signup(pageR, R);
  await signup(pageT, T);
  targetId = (await (await pageT.request.get('/api/v1/me')).json()).id;

  // Not on one's own profile.
  await pageT.goto(`/users/${targetId}`);
  await pageT.getByRole('heading', { level: 1, name: T.nickname }).waitFor();
  assert.equal(await pageT.locator('#report-user').count(), 0);

  await pageR.goto(`/users/${targetId}`);
  assert.equal(await pageR.locator('html').getAttribute('data-theme'), 'dark');
  await pageR.locator('#report-user').click();
  const dialog = pageR.locator('#report-user-dialog');
  await dialog.waitFor();
  for (const label of ['사기', '욕설·비매너', '약속 불이행(노쇼)', '미반납', '스팸·광고', '기타']) {
    await dialog.getByLabel(label, { exact: true }).waitFor();
  }
  // A reason is required.
  await dialog.getByRole('button', { name: '신고하기' }).click();
  await pageR.locator('#report-user-error', { hasText: '신고 사유를 골라 주세요' }).waitFor();
  await dialog.getByLabel('약속 불이행(노쇼)').check();
  assert.equal(await pageR.locator('#report-user-error').textContent(), '');
  await dialog.getByLabel('자세한 내용 (선택)').fill('약속 시간에 오지 않았어요');
  await shot(pageR, 'user-report-dialog-dark-390', false);
  const width = await pageR.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scroll at 390 px (${width})`);
  await dialog.getByRole('button', { name: '신고하기' }).click();
  await pageR.locator('#toast', { hasText: '신고를 접수했어요' }).waitFor();
  await dialog.waitFor({ state: 'hidden' });

  await pageR.locator('#report-user').click();
  await dialog.getByLabel('스팸·광고').check();
  await dialog.getByRole('button', { name: '신고하기' }).click();
  await pageR.locator('#report-user-error', { hasText: '이미 신고했어요' }).waitFor();
  await pageR.keyboard.press('Escape');

  // The light theme, too: the button sits in the profile header.
  await pageR.emulateMedia({ colorScheme: 'light' });
  await pageR.reload();
  assert.equal(await pageR.locator('html').getAttribute('data-theme'), 'light');
  await pageR.locator('.profile-head #report-user').waitFor();
  await shot(pageR, 'user-profile-report-light-390');
  await pageR.emulateMedia({ colorScheme: 'dark' });
});

test('an admin sees the user report in the queue and suspends the user', async () => {
  if (!process.env.EGD_BIN || !process.env.EGD_DATA_DIR) return;
  execFileSync(process.env.EGD_BIN, ['admin', 'grant', R.email, '--data-dir', process.env.EGD_DATA_DIR]);
  await pageR.goto('/admin');
  const report = pageR.locator('[data-report-kind=user]', { hasText: T.nickname });
  await report.waitFor();
  await report.getByText('약속 불이행(노쇼)').waitFor();
  await report.getByText('약속 시간에 오지 않았어요').waitFor();
  assert.equal(await report.getByRole('link', { name: T.nickname }).getAttribute('href'), `/users/${targetId}`);
  assert.equal(await report.getByRole('button', { name: '물품 숨기기' }).count(), 0);
  await report.getByRole('button', { name: '기각' }).waitFor();
  await shot(pageR, 'admin-user-report-dark-390');
  pageR.once('dialog', (d) => d.accept());
  await report.getByRole('button', { name: '이용 정지' }).click();
  await pageR.locator('#toast', { hasText: '사용자를 정지했어요' }).waitFor();
  await report.waitFor({ state: 'detached' });
  assert.equal((await pageT.request.get('/api/v1/me')).status(), 401);
});
