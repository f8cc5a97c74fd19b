// Sign up with Kakao through the tests' own OpenID provider (see e2e/run.sh): the 동네 comes first,
// then the settings page manages sign-in methods. A denied consent returns to the login page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, shot } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
const NICK = `카톡${run}`.slice(0, 10);
const EMAIL = `kakao${run}@example.com`;
let browser, ctx, page;

before(async () => {
  browser = await launch();
  ctx = await newContext(browser, { viewport: { width: 390, height: 844 } });
  page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
});

/** From our login page through the provider's consent page. */
async function throughKakao(decision, waitFor) {
  await page.goto('/login?next=/me');
  const kakao = page.getByRole('link', { name: '카카오로 시작하기' });
  await kakao.click();
  await page.getByRole('heading', { name: '테스트 카카오' }).waitFor();
  await page.locator('input[name=nickname]').fill(NICK);
  await page.locator('input[name=email]').fill(EMAIL);
  await Promise.all([page.waitForURL(waitFor), page.getByRole('button', { name: decision }).click()]);
}

test('a denied Kakao consent comes back to the login page with the reason, signed out', async () => {
  await throughKakao('취소', (u) => new URL(u).pathname === '/login');
  await page.getByText('카카오 로그인을 취소했어요').waitFor();
  assert.equal((await ctx.cookies()).some((c) => c.name === 'egd_access' && c.value), false);
});

test('a neighbour signs up with Kakao, picks the 동네 first, then manages sign-in methods', async () => {
  await page.goto('/login');
  const kakao = page.getByRole('link', { name: '카카오로 시작하기' });
  // Kakao's yellow, in light and dark mode alike.
  assert.equal(await kakao.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(254, 229, 0)');
  await shot(page, 'kakao-login');
  await throughKakao('동의하고 계속하기', (u) => new URL(u).pathname === '/welcome');
  await page.getByRole('heading', { name: `반가워요, ${NICK}님!` }).waitFor();
  await shot(page, 'kakao-welcome');
  await page.getByLabel('동네').fill('서교동');
  const option = page.locator('.suggest li', { hasText: '서교동' }).first();
  await option.waitFor();
  await option.click();
  await Promise.all([
    page.waitForURL((u) => new URL(u).pathname === '/me'),
    page.getByRole('button', { name: '이 동네로 시작하기' }).click(),
  ]);
  await page.getByText('서교동').first().waitFor();

  // Settings: Kakao is linked, there is no password yet, and Kakao cannot be unlinked.
  await page.goto('/me/settings');
  const methods = page.locator('#sign-in-methods');
  await methods.getByText('비밀번호가 없어요').waitFor();
  await methods.locator('[data-provider="kakao"]').getByText('연결').first().waitFor();
  await page.getByRole('heading', { name: '비밀번호 설정' }).waitFor();
  await methods.getByRole('button', { name: '연결 해제' }).click();
  await page.locator('#unlink-error').getByText('다른 로그인 방법이 없어요').waitFor();
  await shot(page, 'kakao-settings');

  // A first password (no current one): the session ends, and email + password now work.
  await page.getByLabel('새 비밀번호').fill('kakao1234pw');
  await Promise.all([
    page.waitForURL((u) => new URL(u).pathname === '/', { timeout: 15000 }),
    page.getByRole('button', { name: '비밀번호 설정' }).click(),
  ]);
  await page.goto('/login?next=/me/settings');
  await page.getByLabel('이메일').fill(EMAIL);
  await page.getByLabel('비밀번호').fill('kakao1234pw');
  await Promise.all([
    page.waitForURL((u) => new URL(u).pathname === '/me/settings'),
    page.getByRole('button', { name: '로그인', exact: true }).click(),
  ]);
  await page.getByRole('heading', { name: '비밀번호 바꾸기' }).waitFor();
  // Now Kakao can be unlinked; the page offers to link it again.
  await Promise.all([
    page.waitForEvent('load'),
    methods.getByRole('button', { name: '연결 해제' }).click(),
  ]);
  await methods.getByRole('link', { name: '카카오 연결하기' }).waitFor();
});
