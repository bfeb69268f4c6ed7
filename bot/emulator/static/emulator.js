// Emulator page: posts what the user does, polls the bot's replies. Text is always set with textContent.
(function () {
  "use strict";
  const chat = document.getElementById("chat");
  const quick = document.getElementById("quick");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  let next = 0;

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "bubble " + who;
    div.textContent = text;
    chat.appendChild(div);
    div.scrollIntoView();
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
        bubble(action.displayText || action.label || "", "user");
        quick.replaceChildren();
        send({ postback: action.data });
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
})();
