// kiemphieu serve: the page's conveniences. Every action also works without this file (plain
// forms and links); served from the binary, no inline code (the Content-Security-Policy).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "overview") live();
  if (page === "review") keys();
  if (page === "results-auditing") setTimeout(() => location.reload(), 2000);
});

// The overview's figures, pushed by the server as they change.
function live() {
  const mark = document.querySelector("[data-live]");
  const source = new EventSource("/events");
  source.addEventListener("open", () => mark && mark.classList.add("on"));
  source.addEventListener("error", () => mark && mark.classList.remove("on"));
  source.addEventListener("overview", (e) => {
    const o = JSON.parse(e.data);
    for (const el of document.querySelectorAll("[data-fig]")) {
      const v = o[el.dataset.fig];
      if (v !== undefined && v !== null) el.textContent = String(v);
    }
    const bar = document.querySelector("[data-progress]");
    if (bar) {
      bar.max = Math.max(1, o.issued);
      bar.value = o.collected;
    }
    const list = document.querySelector("[data-reasons]");
    if (list && o.rejected_by_reason) {
      for (const [code, n] of Object.entries(o.rejected_by_reason)) {
        let li = list.querySelector(`[data-reason="${CSS.escape(code)}"]`);
        if (!li) {
          li = document.createElement("li");
          li.dataset.reason = code;
          li.append(code + ": ", document.createElement("span"));
          list.append(li);
          list.querySelector("[data-none]")?.remove();
        }
        li.querySelector("span").textContent = String(n);
      }
    }
    const w = document.querySelector('[data-watch="waiting"]');
    if (w && o.watching) w.textContent = String(o.watching.waiting);
    document.body.dataset.updated = String(Date.now());
  });
}

// The review page's keys: 1/2/3 a level, 0 no mark, X invalid for the current row (then the
// next; the form is sent when every row has its answer), R invalid sheet, A accept, I set
// aside, C confirm another member's proposal (two-person review), ←/→ previous/next sheet.
function keys() {
  const form = document.getElementById("decision");
  if (!form) return;
  const confirm = document.querySelector('form.proposal button[value="confirm"]');
  const rows = [...form.querySelectorAll("fieldset.row")];
  let current = 0;
  const show = () => rows.forEach((r, i) => r.classList.toggle("current", i === current));
  const answered = (r) => r.querySelector("input[type=radio]:checked") !== null;
  const button = (v) => form.querySelector(`button[value="${v}"]`);
  const send = (v) => {
    const b = button(v);
    if (b) form.requestSubmit(b);
  };
  rows.forEach((r, i) => r.addEventListener("click", () => { current = i; show(); }));
  show();
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target instanceof HTMLInputElement && e.target.type === "text";
    if (typing && e.key !== "Enter") return;
    const k = e.key.toLowerCase();
    if (["1", "2", "3", "0", "x"].includes(k) && rows.length > 0) {
      const input = rows[current].querySelector(`input[value="${k}"]`);
      if (!input) return;
      input.checked = true;
      e.preventDefault();
      const next = rows.findIndex((r) => !answered(r));
      if (next === -1) {
        send(button("accept") && !button("rows") ? "accept" : "rows");
      } else {
        current = next;
        show();
      }
    } else if (k === "r") {
      e.preventDefault();
      send("invalid");
    } else if (k === "a" && button("accept")) {
      e.preventDefault();
      send("accept");
    } else if (k === "i") {
      e.preventDefault();
      send("ignore");
    } else if (k === "c" && confirm) {
      e.preventDefault();
      confirm.form.requestSubmit(confirm);
    } else if (e.key === "Enter" && !typing) {
      e.preventDefault();
      send(button("rows") ? "rows" : "accept");
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      const link = document.getElementById(e.key === "ArrowLeft" ? "prev" : "next");
      if (link) location.href = link.href;
    }
  });
}
