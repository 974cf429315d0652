// Copy a citation to the clipboard: buttons are shown only where the Clipboard API exists.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll(".copy-citation[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });
})();
