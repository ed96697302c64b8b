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
})();
