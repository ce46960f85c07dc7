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
  document.addEventListener("DOMContentLoaded", report);
  document.addEventListener("htmx:afterSettle", report);
  document.addEventListener("htmx:sseMessage", report);
})();
