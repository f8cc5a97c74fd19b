// /api/docs: dresses the RapiDoc viewer (static/vendor/rapidoc) in the site's colours and theme.
// Runs before rapidoc-min.js defines <rapi-doc> (both deferred, this one first), so the first
// render already has the right colours; follows later theme changes (theme.js sets data-theme).
const root = document.documentElement;
const doc = document.getElementById('api-docs');

const THEMES = {
  light: { bg: '#f8f9fa', text: '#212529', nav: '#ffffff', navText: '#495057', primary: '#0ca678' },
  dark: { bg: '#1a1b1e', text: '#e9ecef', nav: '#25262b', navText: '#c1c2c5', primary: '#20c997' },
};

function applyTheme() {
  const name = root.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
  const t = THEMES[name];
  doc.setAttribute('theme', name);
  doc.setAttribute('bg-color', t.bg);
  doc.setAttribute('text-color', t.text);
  doc.setAttribute('nav-bg-color', t.nav);
  doc.setAttribute('nav-text-color', t.navText);
  doc.setAttribute('nav-hover-bg-color', name === 'dark' ? '#2c2e33' : '#f1f3f5');
  doc.setAttribute('nav-accent-color', t.primary);
  doc.setAttribute('primary-color', t.primary);
}

if (doc) {
  applyTheme();
  new MutationObserver(applyTheme).observe(root, { attributes: true, attributeFilter: ['data-theme'] });
  // Marks the page once the document is rendered (the browser tests wait for it).
  doc.addEventListener('spec-loaded', () => document.body.setAttribute('data-docs', 'ready'));
}
