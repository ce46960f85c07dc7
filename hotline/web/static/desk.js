// The operator's desk (issue 17): tells the server when the customer card of the connected
// call was drawn in this browser (the lookup time of R-035), once per call; the card comes
// with the page or with a live redraw of the screen pop.
"use strict";
(function () {
  const reported = new Set();
  function report() {
    const card = document.getElementById("card");
    if (!card || !card.dataset.live) return;
    const uniqueid = card.dataset.uniqueid;
    if (!uniqueid || reported.has(uniqueid)) return;
    reported.add(uniqueid);
    const body = new FormData();
    body.append(card.dataset.csrfField, card.dataset.csrf);
    body.append("uniqueid", uniqueid);
    fetch("/operator/desk/card-shown", { method: "POST", body: body, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((shown) => {
        if (shown) card.dataset.lookupSeconds = String(shown.seconds);
      })
      .catch(() => reported.delete(uniqueid));
  }
  // The disposition form is sent from here, not by navigating: when the console answers
  // anything but "saved" (held until the database is back, or the database unreachable) the
  // form stays with what the operator typed, and the answer is shown beside it (issue 21).
  function dispose(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.id.startsWith("disposition-")) return;
    event.preventDefault();
    const message = form.querySelector(".disposition-message");
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then((r) => {
        if (r.ok && r.status !== 202) {
          window.location.assign("/operator");
          return null;
        }
        const json = (r.headers.get("content-type") || "").includes("json");
        return json ? r.json().then((body) => body.detail) : r.text();
      })
      .then((text) => {
        if (text && message) message.textContent = text;
      })
      .catch(() => {
        if (message) message.textContent = "Консоль не ответила: итог не сохранён, попробуйте ещё раз.";
      });
  }
  document.addEventListener("submit", dispose);
  document.addEventListener("DOMContentLoaded", report);
  document.addEventListener("htmx:afterSettle", report);
  document.addEventListener("htmx:sseMessage", report);
})();
