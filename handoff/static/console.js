// Staff console: refresh the queue rows and a ticket's thread every few seconds without reloading the page.
// The server renders (and escapes) the HTML fragments; this only swaps them in.
(function () {
  "use strict";
  var INTERVAL_MS = 5000;

  function refresh(element, url) {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("refresh failed: " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (element.innerHTML !== html) { element.innerHTML = html; }
      })
      .catch(function () { /* keep the last rows; the next round tries again */ });
  }

  function poll(selector, attribute) {
    var element = document.querySelector(selector);
    if (!element) { return; }
    var url = element.getAttribute(attribute) || "";
    if (url.indexOf("/staff/") !== 0) { return; }
    window.setInterval(function () { refresh(element, url); }, INTERVAL_MS);
  }

  poll("#queue-rows", "data-rows-url");
  poll("#thread", "data-thread-url");
})();
