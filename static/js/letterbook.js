// Letterbook: small enhancements, no dependencies. Every page works without them.
(function () {
  "use strict";

  // -- footnotes: focus follows a marker or back-link; a popover on hover and keyboard focus --------
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
    } else {
      target.focus({ preventScroll: true });
    }
  }

  var popover = null;

  function hidePopover() {
    if (popover) {
      popover.hidden = true;
      popover.removeAttribute("data-tapped");
      var owner = document.querySelector("[aria-describedby='fn-popover']");
      if (owner) {
        owner.removeAttribute("aria-describedby");
      }
    }
  }

  function showPopover(marker, withLink) {
    var id = marker.getAttribute("href").slice(1);
    var note = document.getElementById(id);
    var text = note && note.querySelector(".fn-text");
    if (!text) {
      return;
    }
    if (!popover) {
      popover = document.createElement("div");
      popover.id = "fn-popover";
      popover.className = "fn-popover";
      popover.setAttribute("role", "tooltip");
      popover.hidden = true;
      popover.addEventListener("mouseleave", function () {
        if (!popover.hasAttribute("data-tapped")) {
          hidePopover();
        }
      });
      document.body.appendChild(popover);
    }
    hidePopover();
    popover.textContent = "";
    var label = document.createElement("strong");
    label.textContent = "Note " + id.slice(2) + ". ";
    popover.appendChild(label);
    popover.appendChild(text.cloneNode(true));
    if (withLink) {
      var go = document.createElement("a");
      go.href = "#" + id;
      go.className = "fn-popover-go";
      go.textContent = "Go to note " + id.slice(2) + " ↓";
      go.addEventListener("click", hidePopover);
      popover.appendChild(go);
    }
    var box = marker.getBoundingClientRect();
    popover.hidden = false;
    var width = Math.min(popover.offsetWidth, window.innerWidth - 16);
    var left = Math.max(8, Math.min(box.left + window.scrollX - width / 2, window.scrollX + window.innerWidth - width - 8));
    popover.style.left = left + "px";
    popover.style.top = box.bottom + window.scrollY + 6 + "px";
    marker.setAttribute("aria-describedby", "fn-popover");
  }

  function setUpFootnotes() {
    var markers = document.querySelectorAll(".letter-body sup > a[href^='#fn'], .letter-title sup > a[href^='#fn']");
    for (var i = 0; i < markers.length; i++) {
      var marker = markers[i];
      marker.setAttribute("aria-label", "Footnote " + marker.textContent);
      marker.addEventListener("mouseenter", function (event) { showPopover(event.currentTarget); });
      marker.addEventListener("focus", function (event) { showPopover(event.currentTarget); });
      marker.addEventListener("mouseleave", function (event) {
        var tapped = popover && popover.hasAttribute("data-tapped");
        if (!tapped && !(popover && event.relatedTarget && popover.contains(event.relatedTarget))) {
          hidePopover();
        }
      });
      marker.addEventListener("blur", function (event) {
        var tapped = popover && popover.hasAttribute("data-tapped");
        if (!tapped && !(popover && event.relatedTarget && popover.contains(event.relatedTarget))) {
          hidePopover();
        }
      });
      marker.addEventListener("click", function (event) {
        // Touch screens have no hover: the first tap opens the note here, a second tap (or the
        // popover's link) goes to it.
        var m = event.currentTarget;
        var touch = window.matchMedia && window.matchMedia("(hover: none)").matches;
        var id = m.getAttribute("href").slice(1);
        if (touch && !(popover && !popover.hidden && popover.getAttribute("data-tapped") === id)) {
          event.preventDefault();
          showPopover(m, true);
          popover.setAttribute("data-tapped", id);
          return;
        }
        hidePopover();
      });
    }
    document.addEventListener("click", function (event) {
      // A tap outside an open note (and outside the markers) closes it.
      if (popover && !popover.hidden && !popover.contains(event.target) && !event.target.closest("sup")) {
        hidePopover();
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hidePopover();
      }
    });
  }

  // -- facets: "show more" and a type-ahead over each long facet's values ------------------------
  function setUpFacets() {
    var buttons = document.querySelectorAll(".show-more");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      var list = document.getElementById(button.getAttribute("aria-controls"));
      list.classList.add("is-collapsed");
      button.hidden = false;
      button.addEventListener("click", function (event) {
        var b = event.currentTarget;
        var l = document.getElementById(b.getAttribute("aria-controls"));
        var open = l.classList.toggle("is-collapsed") === false;
        b.setAttribute("aria-expanded", open ? "true" : "false");
        b.textContent = open ? "Show fewer" : b.getAttribute("data-more") || b.textContent;
      });
      button.setAttribute("data-more", button.textContent);
    }
    var filters = document.querySelectorAll("[data-facet-filter]");
    for (var j = 0; j < filters.length; j++) {
      var input = filters[j];
      input.hidden = false;
      input.addEventListener("input", function (event) {
        var field = event.currentTarget;
        var target = document.getElementById(field.getAttribute("data-facet-filter"));
        var words = field.value.toLowerCase().trim();
        target.classList.toggle("is-filtered", words !== "");
        var items = target.querySelectorAll("li[data-label]");
        for (var k = 0; k < items.length; k++) {
          items[k].hidden = words !== "" && items[k].getAttribute("data-label").indexOf(words) === -1;
        }
      });
    }
    var autos = document.querySelectorAll(".js-autosubmit");
    for (var m = 0; m < autos.length; m++) {
      autos[m].addEventListener("change", function (event) { event.currentTarget.form.submit(); });
      var hide = autos[m].form.querySelector(".js-hide");
      if (hide) {
        hide.hidden = true;
      }
    }
  }

  // -- people: type-ahead on the index -----------------------------------------------------------
  function setUpPeople() {
    var input = document.querySelector("#people-q");
    var list = document.getElementById("people-index");
    if (!input || !list) {
      return;
    }
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().trim();
      var items = list.querySelectorAll("li[data-label]");
      for (var i = 0; i < items.length; i++) {
        items[i].hidden = words !== "" && items[i].getAttribute("data-label").indexOf(words) === -1;
      }
    });
  }

  window.addEventListener("hashchange", focusTarget);
  document.addEventListener("DOMContentLoaded", function () {
    setUpFootnotes();
    setUpFacets();
    setUpPeople();
    focusTarget();
  });
})();
