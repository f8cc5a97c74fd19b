// The rental calendar: a borrower picks a period by tapping days (and with the keyboard) on a phone,
// sees the item's rules, the booked days and the quote, and sends the request; the lender finds it on
// the lending calendar (/me/lending) next to the 12-month chart. Screenshots at 390 px, light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newContext, shot } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
const people = {
  lender: { email: `callend${run}@example.com`, nickname: `달력주인${run}`.slice(0, 10), password: 'secret1234' },
  borrower: { email: `calborrow${run}@example.com`, nickname: `달력빌림${run}`.slice(0, 10), password: 'secret5678' },
  third: { email: `calthird${run}@example.com`, nickname: `먼저빌림${run}`.slice(0, 10), password: 'secret9012' },
};
const TITLE = `캠핑 텐트 ${run}`;

let browser, borrowerCtx, lenderCtx, itemId, rentalId, days;

async function api(method, path, token, body) {
  const r = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(data)}`);
  return data;
}

async function signIn(ctx, who, next) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('이메일').fill(who.email);
  await page.getByLabel('비밀번호').fill(who.password);
  await Promise.all([page.waitForURL((u) => new URL(u).pathname === next), page.getByRole('button', { name: '로그인' }).click()]);
  return page;
}

const dark = (page, on) => page.evaluate((d) => document.documentElement.setAttribute('data-theme', d ? 'dark' : 'light'), on);

before(async () => {
  browser = await launch();
  for (const who of Object.values(people)) {
    const r = await api('POST', '/auth/signup', undefined, { email: who.email, password: who.password, nickname: who.nickname, region_code: '1144066000' });
    who.token = r.access_token;
  }
  const item = await api('POST', '/items', people.lender.token, {
    section: 'lend', category_id: 3, title: TITLE, description: '4인용 텐트예요', price: 5000, price_unit: 'day', min_days: 2, max_days: 5,
  });
  itemId = item.id;
  borrowerCtx = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  lenderCtx = await newContext(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  // The local (Asia/Seoul) days of the test, counted from today: keys as the calendar writes them.
  const page = await borrowerCtx.newPage();
  await page.goto('/');
  days = await page.evaluate(() => {
    const pad = (n) => String(n).padStart(2, '0');
    const t = new Date();
    return Array.from({ length: 12 }, (_, i) => {
      const d = new Date(t.getFullYear(), t.getMonth(), t.getDate() + i);
      return {
        key: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
        midnight: d.toISOString(),
        at10: new Date(d.getFullYear(), d.getMonth(), d.getDate(), 10).toISOString(),
        at18: new Date(d.getFullYear(), d.getMonth(), d.getDate(), 18).toISOString(),
      };
    });
  });
  await page.close();
  // Someone else already has days 6 and 7 (whole days), accepted.
  const booked = await api('POST', `/items/${itemId}/rentals`, people.third.token, { start_at: days[6].midnight, end_at: days[8].midnight });
  await api('POST', `/rentals/${booked.id}/accept`, people.lender.token);
});

after(async () => {
  await browser?.close();
});

test('a borrower picks a period on the calendar, meets the rules and the booked days, and sends the request', async () => {
  const page = await signIn(borrowerCtx, people.borrower, `/items/${itemId}`);
  const cal = page.locator('#rent-calendar');
  const day = (i) => cal.locator(`[data-day="${days[i].key}"]`);
  await day(2).waitFor();
  await page.getByText('최소 2일, 최대 5일까지 빌릴 수 있어요').waitFor();
  const submit = page.locator('#rent-submit');
  assert.equal(await submit.isDisabled(), true, 'nothing picked yet');

  // Today is marked, yesterday is gone, the booked days are shaded and cannot be picked.
  assert.match(await cal.locator('.cal-day.today').getAttribute('aria-label'), /오늘/);
  assert.equal(await day(6).getAttribute('aria-disabled'), 'true');
  assert.match(await day(6).getAttribute('aria-label'), /예약됨/);
  await day(6).click({ force: true }); // a tap on a day marked disabled still lands
  await cal.locator('[aria-live]').filter({ hasText: '이미 예약된 날이에요' }).waitFor();

  // One day (tap the same day twice) is shorter than the rule: the message, and no sending.
  await day(2).tap();
  await page.locator('#rent-picked', { hasText: '마지막 날을 골라 주세요' }).waitFor();
  await day(2).tap();
  await page.locator('#rent-error', { hasText: '이 물건은 최소 2일부터 빌릴 수 있어요' }).waitFor();
  assert.equal(await submit.isDisabled(), true);
  assert.equal(await page.getByLabel('시작').inputValue(), localValue(days[2].key, '10:00'));
  assert.equal(await page.getByLabel('반납').inputValue(), localValue(days[2].key, '18:00'));
  await shot(page, 'calendar-too-short-390');

  // Over the booked days: the overlap shows before sending.
  await day(5).tap();
  await day(8).tap();
  await page.locator('#rent-error', { hasText: '이미 예약된 기간' }).waitFor();
  assert.equal(await submit.isDisabled(), true);

  // A valid period, the last day chosen with the keyboard: day 2 tapped, two days right, Enter.
  await day(2).tap();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.day), days[4].key, 'roving focus moved');
  await page.keyboard.press('Enter');
  await page.locator('#rent-quote', { hasText: '3일 · 예상 금액 15,000원' }).waitFor();
  assert.equal(await page.locator('#rent-error').textContent(), '');
  assert.equal(await submit.isEnabled(), true);
  for (const i of [2, 3, 4]) assert.equal(await day(i).getAttribute('aria-pressed'), 'true', `day ${i} in the period`);
  assert.equal(await day(5).getAttribute('aria-pressed'), 'false');
  await cal.locator('[aria-live]').filter({ hasText: '3일을 골랐어요' }).waitFor();
  // The times stay editable: a later start keeps the days and the quote.
  await page.getByLabel('시작').fill(localValue(days[2].key, '11:30'));
  await page.locator('#rent-quote', { hasText: '3일' }).waitFor();
  await page.getByLabel('시작').fill(localValue(days[2].key, '10:00'));
  await shot(page, 'calendar-pick-390');
  await dark(page, true);
  await shot(page, 'calendar-pick-dark-390');
  await dark(page, false);

  await Promise.all([page.waitForURL(/\/rentals\/\d+$/), submit.click()]);
  rentalId = Number(new URL(page.url()).pathname.split('/').pop());
  const rental = await api('GET', `/rentals/${rentalId}`, people.borrower.token);
  assert.equal(rental.status, 'requested');
  assert.equal(rental.item.id, itemId);
  assert.equal(Date.parse(rental.start_at), Date.parse(days[2].at10));
  assert.equal(Date.parse(rental.end_at), Date.parse(days[4].at18));
  assert.equal(rental.total_price, 15000);
});

test('the lender finds the request on the lending calendar and the chart', async () => {
  assert.ok(rentalId, 'the request was made');
  const page = await signIn(lenderCtx, people.lender, '/me');
  await Promise.all([page.waitForURL((u) => new URL(u).pathname === '/me/lending'), page.getByRole('link', { name: '빌려준 물건 달력' }).click()]);
  const cal = page.locator('#lending-calendar');
  const first = cal.locator(`[data-day="${days[2].key}"]`);
  await first.waitFor();
  assert.match(await first.getAttribute('aria-label'), /요청 중/);
  assert.match(await cal.locator(`[data-day="${days[6].key}"]`).getAttribute('aria-label'), /대여 예정/);
  await first.tap();
  const link = cal.locator(`.cal-panel a[href="/rentals/${rentalId}"]`);
  await link.waitFor();
  assert.equal(await link.textContent(), TITLE);
  await page.locator(`.lent a[href="/rentals/${rentalId}"]`).waitFor();
  // The chart: an image with its name, one point per month; the table of figures for this month.
  const chart = page.getByRole('img', { name: '최근 12개월 대여 건수와 수입' });
  await chart.waitFor();
  assert.equal(await chart.locator('circle').count(), 12);
  // The accepted rental (10,000원) counts in the month it starts, when that is this month.
  const thisMonth = days[6].key.slice(0, 7) === days[0].key.slice(0, 7);
  assert.equal(await chart.locator('rect').count(), thisMonth ? 1 : 0);
  await page.locator('.lending-chart > p.meta', { hasText: thisMonth ? '대여 1건 · 수입 10,000원' : '대여 0건 · 수입 0원' }).waitFor();
  await shot(page, 'lending-390');
  await dark(page, true);
  await shot(page, 'lending-dark-390');
  await dark(page, false);
  // Keyboard: the days are one tab stop; arrows move a day or a week, PageDown past the last month
  // shown goes to the next months' page.
  assert.equal(await cal.locator('.cal-day[tabindex="0"]').count(), 1);
  await first.focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.day), days[9].key);
  await cal.locator('.cal-day').last().focus();
  await Promise.all([page.waitForURL(/month=\d{4}-\d{2}$/), page.keyboard.press('PageDown')]);
  await page.locator('#lending-calendar .cal-day').first().waitFor();
});

function localValue(key, hm) {
  return `${key}T${hm}`;
}
