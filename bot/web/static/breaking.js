// digestbot console, breaking news: the article list follows the chosen category, and a
// push's progress page updates itself every second while the push goes out. Both pages
// work without this script (all of the list is shown; the page has a Refresh link).
// Numbers are written with textContent only, never as HTML.
"use strict";

function followCategory() {
  const category = document.getElementById("category");
  const article = document.getElementById("article");
  if (!category || !article) return;
  const show = () => {
    for (const group of article.querySelectorAll("optgroup")) {
      const mine = group.dataset.category === category.value;
      group.hidden = !mine;
      group.disabled = !mine;
    }
    const chosen = article.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) article.value = "";
  };
  category.addEventListener("change", show);
  show();
}

function followPush() {
  const push = document.getElementById("push");
  // A cancelled push's sends already under way still finish: followed until they have.
  if (!push || push.dataset.finished !== "no") return;
  const url = push.dataset.progress;
  const names = ["delivered", "pending", "failed", "blocked", "total"];
  let timer = null;
  const stop = () => { if (timer !== null) { clearInterval(timer); timer = null; } };
  // Only what changed is written: the region is live, and a screen reader would read
  // every rewritten number again each second.
  const put = (element, text) => {
    if (element && element.textContent !== text) element.textContent = text;
  };
  const show = (report) => {
    for (const name of names) put(document.getElementById("push-" + name), String(report[name]));
    const status = document.getElementById("push-status");
    put(status, String(report.status_text));
    status.className = "push-" + String(report.status).replace(/[^a-z]/g, "");
    const bar = document.getElementById("push-progress");
    const total = Number(report.total) || 0;
    bar.max = total || 1;
    bar.value = total ? Number(report.delivered) + Number(report.blocked) + Number(report.failed) : 1;
    push.dataset.status = String(report.status);
    push.dataset.finished = report.finished ? "yes" : "no";
    const cancel = document.getElementById("push-cancel-form");
    if (cancel && report.status !== "sending") cancel.hidden = true;
    if (report.finished) stop();
  };
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      // Signed out or the push gone: stop; the Refresh link still works.
      if (!answer.ok || !(answer.headers.get("content-type") || "").startsWith("application/json")) { stop(); return; }
      show(await answer.json());
    } catch (err) {
      // A network hiccup: try again on the next tick.
    } finally {
      busy = false;
    }
  };
  timer = setInterval(poll, 1000);
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  followCategory();
  followPush();
});
