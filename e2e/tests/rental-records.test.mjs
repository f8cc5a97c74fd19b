// A rental through real life in the browser: the borrower picks the period on the calendar, the
// lender accepts and takes the deposit, the
// borrower asks for more time and the lender agrees, both sides record the item's condition with
// photos at pickup and return and confirm each other's record, the lender confirms the return and
// the borrower gets the deposit back. The rental page shows each step to both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, shot, signup, png, pageApi as api } from './helpers.mjs';

const run = Date.now().toString(36).slice(-5);
const L = { email: `lend${run}@example.com`, nickname: `빌려줌${run}`.slice(0, 10), password: 'secret1234', dong: '서교동', code: '1144066000' };
const B = { email: `borrow${run}@example.com`, nickname: `빌림${run}`.slice(0, 10), password: 'secret5678', dong: '합정동', code: '1144068000' };
let browser, ctxL, ctxB, pageL, pageB, rentalId;


async function open(page) {
  await page.goto(`/rentals/${rentalId}`);
  await page.locator('#rental').waitFor();
}

/** Clicks and waits for the page's reload after the change. */
async function act(page, locator) {
  await Promise.all([page.waitForEvent('load'), locator.click()]);
  await page.locator('#rental').waitFor();
}

before(async () => {
  browser = await launch();
  ctxL = await newContext(browser, { viewport: { width: 390, height: 844 } });
  ctxB = await newContext(browser, { viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  pageL = await ctxL.newPage();
  pageB = await ctxB.newPage();
  for (const p of [pageL, pageB]) {
    p.on('pageerror', (e) => console.error('page error:', e.message));
    p.on('dialog', (d) => d.accept());
  }
  await signup(pageL, L);
  await signup(pageB, B);
});

after(async () => {
  await browser?.close();
});

test('a rental goes through extension, both condition records with photos and the deposit', async () => {
  const item = await api(pageL, 'POST', '/items', {
    section: 'lend', category_id: 1, title: `기록용 텐트 ${run}`, description: '4인용 돔 텐트예요',
    price: 10000, price_unit: 'day', deposit: 20000,
  });
  assert.equal(item.status, 201, JSON.stringify(item.body));
  // The borrower picks today → tomorrow on the calendar, then moves the start (the times stay
  // editable) to a minute from now, so the return record (which waits for the start) is
  // reachable in this test.
  await pageB.goto(`/items/${item.body.id}`);
  const cal = pageB.locator('#rent-calendar');
  // Days and times in the browser's time zone (Asia/Seoul), not this process's.
  const when = await pageB.evaluate(() => {
    const p = (n) => String(n).padStart(2, '0');
    const key = (d) => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
    const now = new Date();
    const start = new Date(Math.ceil((Date.now() + 25000) / 60000) * 60000);
    return {
      today: key(now),
      tomorrow: key(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)),
      startLocal: `${key(start)}T${p(start.getHours())}:${p(start.getMinutes())}`,
      startMs: start.getTime(),
    };
  });
  await cal.locator(`[data-day="${when.today}"]`).click();
  await cal.locator(`[data-day="${when.tomorrow}"]`).click();
  const start = new Date(when.startMs);
  await pageB.getByLabel('시작').fill(when.startLocal);
  await pageB.locator('#rent-quote', { hasText: '예상 금액' }).waitFor();
  await Promise.all([pageB.waitForURL(/\/rentals\/\d+$/), pageB.locator('#rent-submit').click()]);
  rentalId = Number(new URL(pageB.url()).pathname.split('/').pop());
  const asked = await api(pageB, 'GET', `/rentals/${rentalId}`);
  assert.equal(asked.body.status, 'requested');
  assert.equal(new Date(asked.body.start_at).getTime(), start.getTime());
  const end = new Date(asked.body.end_at);

  // The lender accepts and records receiving the deposit.
  await open(pageL);
  await act(pageL, pageL.getByRole('button', { name: '수락' }));
  assert.match(await pageL.locator('.steps .now').innerText(), /수락/);
  await act(pageL, pageL.getByRole('button', { name: '보증금 받았어요' }));
  assert.match(await pageL.locator('#deposit').innerText(), /빌려준 사람이 보관 중/);

  // The borrower asks for one more day (the form proposes it); the lender agrees.
  await open(pageB);
  await act(pageB, pageB.getByRole('button', { name: '연장 요청하기' }));
  assert.match(await pageB.locator('#extensions').innerText(), /답을 기다리는 중/);
  await open(pageL);
  assert.match(await pageL.locator('.todo').innerText(), /연장 요청에 답해/);
  await act(pageL, pageL.getByRole('button', { name: '연장 수락' }));
  assert.match(await pageL.locator('#extensions').innerText(), /수락됨/);
  const extended = await api(pageB, 'GET', `/rentals/${rentalId}`);
  // The proposed new end is a day later, to the minute (the field has minutes).
  assert.ok(Math.abs(new Date(extended.body.end_at).getTime() - (end.getTime() + 24 * 3600 * 1000)) < 60000);
  assert.ok(extended.body.total_price > asked.body.total_price, 'the price follows the longer period');

  // Pickup: the borrower records the condition with two photos; the lender confirms.
  await open(pageB);
  const pickup = pageB.locator('form.handover-form[data-stage=pickup]');
  await pickup.locator('input[type=file]').setInputFiles([await png(pageB, '#12b886', '앞'), await png(pageB, '#f59f00', '옆')]);
  await pickup.locator('textarea').fill('왼쪽 폴대에 작은 흠집');
  await act(pageB, pickup.getByRole('button', { name: /상태 기록하기/ }));
  const pickupStage = pageB.locator('.stage[data-stage=pickup]');
  assert.equal(await pickupStage.locator('.record-photos img').count(), 2);
  assert.match(await pickupStage.innerText(), /왼쪽 폴대에 작은 흠집/);
  await shot(pageB, 'rental-records-desktop-dark');
  // The lender, still on the page, is told live (no reload under their hands).
  await pageL.locator('#rental-changed', { hasText: '상대방이 이 대여를 바꿨어요' }).waitFor();
  await open(pageL);
  await act(pageL, pageL.getByRole('button', { name: '이 기록이 맞아요' }));
  assert.match(await pageL.locator('.stage[data-stage=pickup]').innerText(), new RegExp(`${L.nickname}님 확인`));

  // Once the period has started, both record the return; the lender confirms the return.
  const wait = start.getTime() - Date.now() + 1500;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await open(pageB);
  const back = pageB.locator('form.handover-form[data-stage=return]');
  await back.locator('input[type=file]').setInputFiles([await png(pageB, '#495057', '반납')]);
  await act(pageB, back.getByRole('button', { name: /상태 기록하기/ }));
  await open(pageL);
  await act(pageL, pageL.locator('.stage[data-stage=return]').getByRole('button', { name: '이 기록이 맞아요' }));
  await act(pageL, pageL.getByRole('button', { name: '반납 확인' }));
  assert.match(await pageL.locator('.steps .now').innerText(), /반납/);
  await shot(pageL, 'rental-records-390-light');

  // The borrower confirms getting the deposit back.
  await open(pageB);
  await act(pageB, pageB.getByRole('button', { name: '보증금 돌려받았어요' }));
  assert.match(await pageB.locator('#deposit').innerText(), /돌려줌/);
  const done = await api(pageB, 'GET', `/rentals/${rentalId}`);
  assert.equal(done.body.status, 'returned');
  assert.equal(done.body.deposit.status, 'returned');
  assert.equal(done.body.handovers.length, 2);
  assert.ok(done.body.handovers.every((h) => h.confirmed_at), 'both records confirmed');
  // The chat carries a system line linking to each record.
  const rooms = await api(pageB, 'GET', '/chats');
  const room = rooms.body.find((r) => r.item.id === item.body.id);
  await pageB.goto(`/chats/${room.id}`);
  await pageB.getByRole('link', { name: '기록 보기' }).first().waitFor();
});
