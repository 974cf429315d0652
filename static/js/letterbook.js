// Letterbook: one small enhancement, no dependencies.
// When a footnote marker (or a back-link) is followed, move keyboard focus to the target so the
// next Tab continues from the footnote (or from the text), and mark it for assistive technology.
(function () {
  "use strict";

  function focusTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!/^fn(ref)?[A-Za-z0-9_.-]+$/.test(id)) {
      return;
    }
    var target = document.getElementById(id);
    if (!target) {
      return;
    }
    var current = document.querySelectorAll(".footnote.is-current");
    for (var i = 0; i < current.length; i++) {
      current[i].classList.remove("is-current");
    }
    if (target.classList.contains("footnote")) {
      target.classList.add("is-current");
      if (!target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus({ preventScroll: true });
    }
  }

  window.addEventListener("hashchange", focusTarget);
  document.addEventListener("DOMContentLoaded", focusTarget);
})();
