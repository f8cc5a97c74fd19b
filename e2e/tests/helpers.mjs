// Shared set-up for the browser tests: one Chromium, helpers for screenshots, sign-up and images.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = process.env.BASE_URL || 'http://127.0.0.1:8000';
const here = dirname(fileURLToPath(import.meta.url));
export const SHOTS = join(here, '..', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function newContext(browser, opts = {}) {
  const ctx = await browser.newContext({ baseURL: BASE, locale: 'ko-KR', timezoneId: 'Asia/Seoul', ...opts });
  ctx.setDefaultTimeout(10000);
  return ctx;
}

export async function shot(page, name, fullPage = true) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** Signs up through the form, picking the 동네 with the search picker. */
export async function signup(page, { email, nickname, password, dong, code }) {
  await page.goto('/signup');
  await page.getByLabel('이메일').fill(email);
  await page.getByLabel('닉네임').fill(nickname);
  await page.getByLabel('비밀번호', { exact: true }).fill(password);
  await page.getByLabel('비밀번호 확인').fill(password);
  await page.getByLabel('동네').fill(dong);
  const option = page.locator('.suggest li', { hasText: dong }).first();
  await option.waitFor();
  await option.click();
  const chosen = await page.locator('input[name=region_code]').inputValue();
  if (code && chosen !== code) throw new Error(`picked ${chosen}, wanted ${code}`);
  await Promise.all([page.waitForURL((u) => new URL(u).pathname === '/'), page.getByRole('button', { name: '가입하기' }).click()]);
}

/** A small PNG drawn by the browser itself. */
export async function png(page, color, label) {
  const dataUrl = await page.evaluate(([c, t]) => {
    const canvas = document.createElement('canvas');
    canvas.width = 480;
    canvas.height = 360;
    const g = canvas.getContext('2d');
    g.fillStyle = c;
    g.fillRect(0, 0, 480, 360);
    g.fillStyle = '#fff';
    g.font = 'bold 64px sans-serif';
    g.fillText(t, 40, 200);
    return canvas.toDataURL('image/png');
  }, [color, label]);
  return { name: `${label}.png`, mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1], 'base64') };
}

/** The JSON API from inside the page, with the session cookie and the CSRF header. */
export function pageApi(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('egd_csrf='))?.split('=')[1];
    const r = await fetch(`/api/v1${p}`, {
      method: m,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: b ? JSON.stringify(b) : undefined,
    });
    return { status: r.status, body: r.status === 204 ? null : await r.json() };
  }, [method, path, body]);
}

export const pad = (n) => String(n).padStart(2, '0');
export function localInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
