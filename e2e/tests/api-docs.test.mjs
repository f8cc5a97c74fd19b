// The developer docs at /api/docs: the vendored RapiDoc renders /api/v1/openapi.json offline, within
// the page's CSP, without a console error and without a request leaving this server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, newContext, shot } from './helpers.mjs';

const HOST = new URL(BASE).host;
let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

/** A page that records CSP violations, console errors, page errors and requests to other hosts. */
async function watchedPage(opts) {
  const ctx = await newContext(browser, opts);
  // Violations inside RapiDoc's shadow DOM bubble (composed) up to the document.
  await ctx.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
    });
  });
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.host !== HOST) problems.push(`request left ${HOST}: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return { ctx, page, problems };
}

async function assertClean(page, problems) {
  // Let late work (fonts, lazy sections) finish before judging.
  await page.waitForLoadState('networkidle');
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'no CSP violation');
  assert.deepEqual(problems, [], 'no console error, page error or off-site request');
}

test('/api/docs renders the OpenAPI document with the vendored viewer, offline and under its CSP', async () => {
  const { ctx, page, problems } = await watchedPage({ viewport: { width: 1280, height: 900 } });
  const resp = await page.goto('/api/docs');
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-type'], /^text\/html/);
  const csp = resp.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self';/);
  assert.doesNotMatch(csp, /unsafe-eval|https?:/);
  assert.equal(await page.title(), '이거대여 API 문서');
  assert.equal(await page.locator('html').getAttribute('lang'), 'ko');

  const docs = page.locator('rapi-doc');
  assert.equal(await docs.getAttribute('spec-url'), '/api/v1/openapi.json');
  await page.locator('body[data-docs=ready]').waitFor({ state: 'attached' });
  // Operations from the document: the title, summaries in the navigation, paths in the body.
  await docs.getByText('이거대여 API').first().waitFor();
  await docs.getByText('물품 목록과 검색').first().waitFor();
  await docs.getByText('/api/v1/items', { exact: true }).first().waitFor();
  await docs.getByText('/api/v1/rentals/{id}/accept', { exact: true }).waitFor();

  // The navigation jumps to an operation.
  const link = docs.locator('[data-action=navigate]', { hasText: '대여 요청 / Ask to rent' });
  const target = await link.getAttribute('data-content-id');
  await link.click();
  const op = docs.locator(`[id="${target}"]`);
  await op.getByText('/api/v1/items/{id}/rentals', { exact: true }).waitFor();
  await page.waitForFunction((id) => {
    const r = document.querySelector('rapi-doc').shadowRoot.getElementById(id).getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight / 2;
  }, target);
  await shot(page, 'api-docs', false);
  await assertClean(page, problems);
  await ctx.close();
});

test('/api/docs follows the dark theme and stays clean on a phone', async () => {
  const { ctx, page, problems } = await watchedPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await page.goto('/api/docs');
  await page.locator('body[data-docs=ready]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  assert.equal(await page.locator('rapi-doc').getAttribute('theme'), 'dark');
  await page.locator('rapi-doc').getByText('/api/v1/auth/signup', { exact: true }).waitFor();
  await shot(page, 'api-docs-dark-390', false);
  await assertClean(page, problems);
  await ctx.close();
});
