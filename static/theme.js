// Runs synchronously in <head> before the first paint: applies the saved theme, or the system's.
(function () {
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function saved() {
    try { return localStorage.getItem('egd-theme'); } catch (e) { return null; }
  }
  function apply() {
    var choice = saved();
    var dark = choice ? choice === 'dark' : !!(media && media.matches);
    root.setAttribute('data-theme', dark ? 'dark' : 'light');
  }
  apply();
  if (media && media.addEventListener) {
    media.addEventListener('change', function () { if (!saved()) apply(); });
  }
})();
