// The seller's listing pages, enhanced: each page works without this file.
// - item/booking fields: only the chosen kind's fields show (the others are disabled so they are not sent);
// - description templates: "Insert" puts a template into the description at the cursor; a playbook's template
//   also records the use (POST to its playbook, with the CSRF token);
// - a category change asks for the category's fields and learning prompts with the title, price and place typed
//   so far, so the playbooks' templates come back filled in;
// - "Use where I am now" fills latitude and longitude;
// - forms with data-confirm ask first; an error summary takes the focus so it is read out.
(function () {
  "use strict";

  function kindToggle(form) {
    var checked = form.querySelector('input[name="kind"]:checked');
    if (!checked) { return; }
    form.querySelectorAll("[data-kind-only]").forEach(function (part) {
      var show = part.getAttribute("data-kind-only") === checked.value;
      part.hidden = !show;
      if (part.tagName === "FIELDSET") {
        part.disabled = !show;
      } else {
        part.querySelectorAll("input, select, textarea").forEach(function (control) { control.disabled = !show; });
      }
    });
  }

  function insertTemplate(button) {
    var source = document.getElementById(button.getAttribute("data-insert-template"));
    var textarea = document.getElementById("id_description");
    if (!source || !textarea) { return; }
    var body = source.textContent.replace(/^\s+|\s+$/g, "");
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    if (typeof start !== "number" || document.activeElement !== textarea && start === 0 && end === 0) {
      start = end = value.length; // never focused: add at the end
    }
    var before = value.slice(0, start), after = value.slice(end);
    if (before && !/\n\n$/.test(before)) { body = (/\n$/.test(before) ? "\n" : "\n\n") + body; }
    if (after && !/^\n/.test(after)) { body = body + "\n\n"; }
    textarea.value = before + body + after;
    var caret = (before + body).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    var status = document.querySelector("[data-insert-status]");
    if (status) { status.textContent = button.getAttribute("data-inserted-message") || "Inserted."; }
    recordUse(button);
  }

  function recordUse(button) {
    var url = button.getAttribute("data-record-url");
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    if (!url || !token || !window.fetch) { return; }
    var body = new URLSearchParams({
      block_id: button.getAttribute("data-block-id") || "",
      context: button.getAttribute("data-record-context") || "listing_form"
    });
    if (button.getAttribute("data-listing")) { body.append("listing", button.getAttribute("data-listing")); }
    fetch(url, { method: "POST", body: body, headers: { "X-CSRFToken": token.value }, credentials: "same-origin" })
      .then(function (response) { if (response.ok) { button.setAttribute("data-recorded", "1"); } }, function () {});
  }

  var PROMPT_FIELDS = ["title", "price", "currency", "location_name"];

  function addTypedValues(event) {
    var elt = event.detail.elt;
    var vals = elt && elt.getAttribute && elt.getAttribute("hx-vals");
    if (!vals || vals.indexOf("attributes") === -1) { return; }
    var form = elt.closest("form");
    if (!form) { return; }
    PROMPT_FIELDS.forEach(function (name) {
      var control = form.elements.namedItem(name);
      if (control && control.value) { event.detail.parameters[name] = control.value; }
    });
  }

  function geolocate(button) {
    var status = document.querySelector("[data-geolocate-status]");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("id_latitude").value = position.coords.latitude.toFixed(6);
      document.getElementById("id_longitude").value = position.coords.longitude.toFixed(6);
      if (status) { status.textContent = button.getAttribute("data-found-message") || ""; }
      button.disabled = false;
    }, function () {
      if (status) { status.textContent = button.getAttribute("data-failed-message") || ""; }
      button.disabled = false;
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
  }

  function enhance(root) {
    root.querySelectorAll("[data-insert-template]").forEach(function (button) { button.hidden = false; });
    if (window.htmx) {
      root.querySelectorAll("[data-no-js]").forEach(function (part) { part.hidden = true; });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-listing-form]");
    if (form) {
      kindToggle(form);
      form.addEventListener("change", function (event) {
        if (event.target.name === "kind") { kindToggle(form); }
      });
    }
    enhance(document);
    if ("geolocation" in navigator) {
      document.querySelectorAll("[data-geolocate]").forEach(function (button) { button.hidden = false; });
    }
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });

  document.addEventListener("click", function (event) {
    var insert = event.target.closest("[data-insert-template]");
    if (insert) { insertTemplate(insert); return; }
    var locate = event.target.closest("[data-geolocate]");
    if (locate) { geolocate(locate); }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  document.addEventListener("htmx:configRequest", addTypedValues);

  // htmx swapped in a category's attribute fields and learning prompts.
  document.addEventListener("htmx:afterSettle", function () { enhance(document); });
})();
