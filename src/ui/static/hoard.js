// Hoard web UI progressive enhancement: a "Copy" button after every <pre data-copy>.
// Everything works without it; no inline script anywhere (the CSP forbids it).
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll('pre[data-copy]').forEach(function (pre) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary copy';
    b.textContent = 'Copy';
    b.setAttribute('aria-label', 'Copy ' + (pre.getAttribute('data-copy') || 'snippet'));
    b.addEventListener('click', function () {
      navigator.clipboard.writeText(pre.textContent || '').then(function () {
        b.textContent = 'Copied';
        setTimeout(function () { b.textContent = 'Copy'; }, 1500);
      });
    });
    pre.insertAdjacentElement('afterend', b);
  });
});
