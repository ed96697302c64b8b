// Enhancements only: every page works without this file.
(function () {
  "use strict";

  // Add/rotate forms: say at once when a name cannot be overridden through a
  // PREFECT__CONTEXT__SECRETS__<NAME> environment variable.
  document.querySelectorAll("[data-env-hint]").forEach(function (input) {
    var hint = document.getElementById(input.getAttribute("data-env-hint"));
    if (!hint) return;
    var update = function () {
      hint.hidden = !/[-.]/.test(input.value);
    };
    input.addEventListener("input", update);
    update();
  });

  // Add form: before sending, ask whether the name is taken; if it is, ask
  // for the overwrite confirmation here, so the value typed stays in the
  // page. Any failure of the check just submits: the server asks then.
  document.querySelectorAll("form[data-exists-url]").forEach(function (form) {
    var name = form.querySelector("#name");
    var box = document.getElementById("overwrite");
    var tick = box && box.querySelector("input[name=overwrite]");
    var title = document.getElementById("overwrite-title");
    var button = form.querySelector("button[type=submit]");
    if (!name || !tick || !title || !button || !window.fetch) return;
    var label = box.hidden ? button.textContent.trim() : "Add secret";
    var ask = function (taken) {
      box.setAttribute("data-name", taken);
      title.textContent = "";
      var strong = document.createElement("strong");
      var code = document.createElement("code");
      code.textContent = taken;
      strong.append("A secret named ", code, " already exists.");
      title.append(strong, " To replace its value, tick the box and choose ");
      var what = document.createElement("strong");
      what.textContent = button.getAttribute("data-overwrite-label");
      title.append(what, ".");
      box.hidden = false;
      tick.disabled = false;
      button.textContent = button.getAttribute("data-overwrite-label");
      tick.focus();
    };
    var forget = function () {
      box.hidden = true;
      tick.disabled = true;
      tick.checked = false;
      box.setAttribute("data-name", "");
      button.textContent = label;
    };
    name.addEventListener("input", function () {
      if (!box.hidden && name.value.trim() !== box.getAttribute("data-name")) forget();
    });
    var sending = false;
    form.addEventListener("submit", function (e) {
      var n = name.value.trim();
      if (sending || (!box.hidden && n === box.getAttribute("data-name"))) return;
      e.preventDefault();
      sending = true;
      var send = function () { form.submit(); };
      fetch(form.getAttribute("data-exists-url") + "?name=" + encodeURIComponent(n), {
        credentials: "same-origin", redirect: "error", headers: { Accept: "application/json" }
      }).then(function (r) {
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      }).then(function (answer) {
        sending = false;
        if (answer && answer.exists === true) ask(n);
        else send();
      }, function () { send(); });
    });
  });

  // List page: "/" focuses the search box.
  var search = document.getElementById("q");
  if (search) {
    document.addEventListener("keydown", function (e) {
      var t = e.target.tagName;
      if (e.key === "/" && t !== "INPUT" && t !== "TEXTAREA" && t !== "SELECT") {
        e.preventDefault();
        search.focus();
      }
    });
  }

  // Selects in the list toolbar apply at once.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.requestSubmit(); });
  });

  // A new API key: a copy button (shown only with JavaScript), and a click
  // in the field selects the whole key (the no-JS way is select-all).
  document.querySelectorAll("[data-select-all]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { input.select(); });
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var id = button.getAttribute("data-copy");
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {
        input.select();
        if (status) status.textContent = "Copy failed: press Ctrl+C or \u2318C.";
      });
    });
  });
})();
