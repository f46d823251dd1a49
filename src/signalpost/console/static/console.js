// Live fragments: an element with data-poll="URL" is refreshed from that URL every
// data-interval milliseconds while the page is visible. Selects with data-autosubmit
// submit their form when changed. Nothing else runs in the page.
(function () {
  "use strict";
  function poll(el) {
    var every = parseInt(el.getAttribute("data-interval") || "5000", 10);
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(el.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { throw new Error("refresh failed"); }
          return r.text();
        })
        .then(function (html) { el.innerHTML = html; el.setAttribute("data-refreshed", String(Date.now())); })
        .catch(function () { /* keep what is shown; try again next time */ })
        .then(function () { busy = false; });
    }, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
  });
})();
