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
