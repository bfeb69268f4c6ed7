// Staff console behaviour (no inline script anywhere: the CSP forbids it). Every feature here has a no-script
// fallback in the HTML: links and forms still work, they just reload the page.
// - Refresh the queue rows and a ticket's thread every few seconds (the server renders and escapes the HTML).
// - Keep the thread scrolled to the newest message, unless staff scrolled up to read.
// - FAQ search fetches the results fragment instead of reloading, so a reply being typed stays.
// - 「回答を挿入」 puts the approved answer at the cursor of the reply instead of replacing it.
// - 「戻る」 in the resolve confirmation closes it instead of reloading.
(function () {
  "use strict";
  var INTERVAL_MS = 5000;
  var FETCH_HEADERS = { "X-Requested-With": "fetch" };

  function fetchFragment(url) {
    return fetch(url, { credentials: "same-origin", headers: FETCH_HEADERS }).then(function (response) {
      if (!response.ok || response.redirected) {
        var error = new Error("fetch failed: " + response.status);
        error.status = response.status;
        throw error;
      }
      return response.text();
    });
  }

  function atBottom(element) {
    return element.scrollHeight - element.scrollTop - element.clientHeight < 40;
  }

  function scrollToEnd(element) {
    element.scrollTop = element.scrollHeight;
  }

  function ticketGone() {
    var notice = document.getElementById("ticket-gone");
    if (notice) { notice.hidden = false; }
  }

  function refresh(element, url) {
    var follow = atBottom(element);
    fetchFragment(url)
      .then(function (html) {
        if (element.innerHTML === html) { return; }
        element.innerHTML = html;
        if (follow && element.id === "thread") { scrollToEnd(element); }
      })
      .catch(function (error) {
        if (error.status === 404 && element.id === "thread") { ticketGone(); }
        // otherwise keep the last rows; the next round tries again
      });
  }

  function poll(selector, attribute) {
    var element = document.querySelector(selector);
    if (!element) { return; }
    var url = element.getAttribute(attribute) || "";
    if (url.indexOf("/staff/") !== 0) { return; }
    window.setInterval(function () { refresh(element, url); }, INTERVAL_MS);
  }

  function replyBox() {
    var textarea = document.getElementById("reply-text");
    if (textarea && !textarea.hasAttribute("data-touched")) {
      // Until staff put the cursor somewhere, insert after what is already there.
      ["focus", "input", "select"].forEach(function (name) {
        textarea.addEventListener(name, function () { textarea.setAttribute("data-touched", ""); });
      });
    }
    return textarea;
  }

  function insertAtCursor(textarea, text) {
    var touched = textarea.hasAttribute("data-touched");
    var start = touched ? textarea.selectionStart : textarea.value.length;
    var end = touched ? textarea.selectionEnd : textarea.value.length;
    textarea.setRangeText(text, start, end, "end");
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function onInsertClick(event) {
    var link = event.target.closest ? event.target.closest("a.insert-answer") : null;
    var textarea = document.getElementById("reply-text");
    if (!link || !textarea || !link.hasAttribute("data-answer")) { return; }
    event.preventDefault();
    insertAtCursor(textarea, link.getAttribute("data-answer"));
  }

  function showSearchError(results) {
    var item = document.createElement("li");
    item.className = "error";
    item.textContent = "検索できませんでした。少し待ってから、もう一度お試しください。";
    results.replaceChildren(item);
  }

  function setUpSearch() {
    var form = document.querySelector("form.faq-search");
    var results = document.getElementById("faq-results");
    if (!form || !results) { return; }
    var url = form.getAttribute("data-results-url") || "";
    if (url.indexOf("/staff/") !== 0) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = form.querySelector("input[name=q]").value;
      results.setAttribute("aria-busy", "true");
      fetchFragment(url + "?q=" + encodeURIComponent(query))
        .then(function (html) { results.innerHTML = html; })
        .catch(function () { showSearchError(results); })
        .then(function () { results.removeAttribute("aria-busy"); });
    });
  }

  function onCloseDetails(event) {
    var link = event.target.closest ? event.target.closest("[data-close-details]") : null;
    var details = link ? link.closest("details") : null;
    if (!details) { return; }
    event.preventDefault();
    details.open = false;
    var summary = details.querySelector("summary");
    if (summary) { summary.focus(); }
  }

  poll("#queue-rows", "data-rows-url");
  poll("#thread", "data-thread-url");
  var thread = document.getElementById("thread");
  if (thread) { scrollToEnd(thread); }
  replyBox();
  setUpSearch();
  document.addEventListener("click", onInsertClick);
  document.addEventListener("click", onCloseDetails);
})();
