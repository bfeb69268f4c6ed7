// FAQ editor (no inline script anywhere: the CSP forbids it). The live LINE preview: while the editor types,
// the form is posted (debounced) to /staff/faq/preview, which renders the bot's messages as an HTML fragment
// (escaped by the server). Without script the preview shows the entry as last loaded or saved.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function setUpPreview() {
    var form = document.getElementById("faq-form");
    var target = document.getElementById("faq-preview");
    if (!form || !target) { return; }
    var url = form.getAttribute("data-preview-url") || "";
    if (url.indexOf("/staff/") !== 0) { return; }
    var tokenField = form.querySelector("input[name=csrf_token]");
    var timer = null;
    var sent = 0;

    function refresh() {
      var number = ++sent;
      target.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": tokenField ? tokenField.value : "", "X-Requested-With": "fetch" },
        body: new URLSearchParams(new FormData(form))
      }).then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("preview failed: " + response.status); }
        return response.text();
      }).then(function (html) {
        if (number === sent) { target.innerHTML = html; }  // an older answer never replaces a newer one
      }).catch(function () {
        // keep the last preview; the next keystroke tries again
      }).then(function () {
        if (number === sent) { target.removeAttribute("aria-busy"); }
      });
    }

    function schedule() {
      if (timer !== null) { window.clearTimeout(timer); }
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  setUpPreview();
})();
