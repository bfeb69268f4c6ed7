// Emulator page: posts what the user does, polls the bot's replies, shows the rich menu.
// Message text only ever becomes text nodes (never innerHTML); URLs in bot messages become <a> elements.
(function () {
  "use strict";
  const chat = document.getElementById("chat");
  const quick = document.getElementById("quick");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  // http(s) URLs: ASCII URL characters only, so Japanese text right after a URL is not swallowed.
  const URL_PATTERN = /https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'*+,;=%]+/g;
  const TRAILING_PUNCTUATION = /[.,;:!?'")\]]+$/;
  let next = 0;

  function appendWithLinks(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      const url = match[0].replace(TRAILING_PUNCTUATION, "");
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      const link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.appendChild(link);
      last = match.index + url.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "bubble " + who;
    if (who === "bot") {
      appendWithLinks(div, text);
    } else {
      div.textContent = text;
    }
    chat.appendChild(div);
    div.scrollIntoView({ block: "end" });
  }

  // A postback or message action, as LINE runs it for a quick reply or a rich-menu area.
  function runAction(action) {
    if (action.type === "message") {
      bubble(action.text || "", "user");
      send({ text: action.text || "" });
      return;
    }
    if (action.displayText) {
      bubble(action.displayText, "user");
    }
    send({ postback: action.data });
  }

  function showQuickReplies(message) {
    quick.replaceChildren();
    const items = (message.quickReply && message.quickReply.items) || [];
    for (const item of items) {
      const action = item.action || {};
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quick-reply";
      button.textContent = action.label || "";
      button.addEventListener("click", function () {
        quick.replaceChildren();
        runAction(Object.assign({ displayText: action.label }, action));
      });
      quick.appendChild(button);
    }
  }

  async function send(payload) {
    payload.redelivery = document.getElementById("redelivery").checked;
    await fetch("/emulator/send", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
    });
  }

  async function poll() {
    try {
      const response = await fetch("/emulator/messages?after=" + next);
      const data = await response.json();
      next = data.next;
      for (const call of data.calls) {
        for (const message of call.messages) {
          bubble(message.text || message.altText || "[" + message.type + "]", "bot");
          showQuickReplies(message);
        }
      }
    } finally {
      setTimeout(poll, 500);
    }
  }

  // The 「準備中」 banner: visible until /readyz answers 200, with what is still being prepared.
  const READINESS_POLL_MS = 2000;
  const NOT_READY_DETAILS = {
    database_unreachable: "（データベースに接続できません）",
    index_failed: "（索引を作成できませんでした。サーバーのログを確認してください）",
  };

  function readinessDetail(data) {
    if (data.status in NOT_READY_DETAILS) {
      return NOT_READY_DETAILS[data.status];
    }
    const index = data.index || {};
    if (index.texts_total > 0) {
      return "（FAQの索引を作成中: " + Math.floor(100 * index.texts_done / index.texts_total) + "%）";
    }
    return "（FAQの索引を作成中）";
  }

  async function watchReadiness() {
    const banner = document.getElementById("preparing");
    const detail = document.getElementById("preparing-detail");
    try {
      const response = await fetch("/readyz", { cache: "no-store" });
      if (response.ok) {
        banner.hidden = true;
        return;
      }
      detail.textContent = readinessDetail(await response.json());
    } catch (error) {
      detail.textContent = "（サーバーに接続できません）";
    }
    banner.hidden = false;
    setTimeout(watchReadiness, READINESS_POLL_MS);
  }

  function percent(part, whole) {
    return (100 * part / whole) + "%";
  }

  function showRichMenu(data) {
    const menu = data.menu;
    const section = document.getElementById("richmenu");
    const bar = document.getElementById("richmenu-bar");
    const panel = document.getElementById("richmenu-panel");
    const image = document.getElementById("richmenu-image");
    document.getElementById("richmenu-bar-text").textContent = menu.chatBarText;
    image.src = data.image;
    for (const area of menu.areas) {
      const button = document.createElement("button");
      const b = area.bounds;
      button.type = "button";
      button.className = "richmenu-area";
      button.setAttribute("aria-label", area.action.label || area.action.displayText || "");
      button.dataset.postback = area.action.data || "";
      button.style.left = percent(b.x, menu.size.width);
      button.style.top = percent(b.y, menu.size.height);
      button.style.width = percent(b.width, menu.size.width);
      button.style.height = percent(b.height, menu.size.height);
      button.addEventListener("click", function () { runAction(area.action); });
      panel.appendChild(button);
    }
    panel.hidden = !menu.selected;
    bar.setAttribute("aria-expanded", String(menu.selected));
    bar.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      bar.setAttribute("aria-expanded", String(!panel.hidden));
    });
    section.hidden = false;
  }

  async function loadRichMenu() {
    const response = await fetch("/emulator/richmenu");
    const data = await response.json();
    if (data.menu) {
      showRichMenu(data);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) { return; }
    bubble(text, "user");
    input.value = "";
    send({ text: text });
  });
  document.getElementById("follow").addEventListener("click", function () { send({ follow: true }); });
  poll();
  loadRichMenu();
  watchReadiness();
})();
