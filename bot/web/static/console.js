// digestbot console: small progressive enhancements; every page works without them.
// Served from /console/static (the CSP allows no inline script). No script here calls
// alert(), confirm() or prompt(): the browser tests treat any dialog as an injected script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The language picker takes effect as soon as a language is chosen.
  const choice = document.getElementById("language-choice");
  if (choice) choice.addEventListener("change", () => choice.form.requestSubmit());
});
