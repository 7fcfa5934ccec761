// Learning prompts on order and conversation pages, enhanced (each works as readable text without this file):
// - [data-prompt-copy]: copies a fulfilment tip's message to the clipboard;
// - [data-prompt-insert]: puts a reply template into the message box at the cursor (never sends it);
// both then record the use: POST block_id, context and listing to the playbook, with the CSRF token.
(function () {
  "use strict";
  if (window.guildhallPrompts) { return; }
  window.guildhallPrompts = true;

  function record(button) {
    var url = button.getAttribute("data-record-url");
    var panel = button.closest("[data-learning-prompts]");
    var token = panel && panel.getAttribute("data-csrf");
    if (!url || !token || !window.fetch) { return; }
    var body = new URLSearchParams({
      block_id: button.getAttribute("data-block-id") || "",
      context: button.getAttribute("data-record-context") || ""
    });
    if (button.getAttribute("data-listing")) { body.append("listing", button.getAttribute("data-listing")); }
    fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": token }, credentials: "same-origin" })
      .then(function (response) { if (response.ok) { button.setAttribute("data-recorded", "1"); } }, function () {});
  }

  function say(button) {
    var status = button.parentElement.querySelector("[data-prompt-status]");
    if (status) { status.textContent = button.getAttribute("data-done-message") || ""; }
  }

  function text(id) {
    var source = document.getElementById(id);
    return source ? source.textContent.replace(/^\s+|\s+$/g, "") : "";
  }

  function copy(button) {
    var value = text(button.getAttribute("data-prompt-copy"));
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(function () {}, function () {});
    } else {
      var range = document.createRange();
      range.selectNodeContents(document.getElementById(button.getAttribute("data-prompt-copy")));
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    say(button);
    record(button);
  }

  function insert(button) {
    var target = document.getElementById(button.getAttribute("data-target"));
    if (!target) { return; }
    var body = text(button.getAttribute("data-prompt-insert"));
    var start = target.selectionStart, end = target.selectionEnd, value = target.value;
    if (typeof start !== "number" || document.activeElement !== target && start === 0 && end === 0) {
      start = end = value.length;
    }
    var before = value.slice(0, start), after = value.slice(end);
    if (before && !/\n$/.test(before)) { body = "\n" + body; }
    target.value = before + body + after;
    var caret = (before + body).length;
    target.focus();
    target.setSelectionRange(caret, caret);
    target.dispatchEvent(new Event("input", { bubbles: true }));
    say(button);
    record(button);
  }

  function enhance() {
    document.querySelectorAll("[data-prompt-copy], [data-prompt-insert]").forEach(function (button) {
      button.hidden = false;
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", enhance); } else { enhance(); }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-prompt-copy], [data-prompt-insert]");
    if (!button) { return; }
    if (button.hasAttribute("data-prompt-copy")) { copy(button); } else { insert(button); }
  });
})();
