/* Public annotations on a letter's page (templates/catalog/_annotations.html).
 *
 * The list of notes works without JavaScript. This script finds each annotated passage in the
 * printed text (by its quote and the words around it, as the W3C TextQuoteSelector describes it),
 * highlights it with <mark>, and links passage and note both ways: after the passage a link to its
 * note (reachable by keyboard, described by the note for screen readers), and from the note a link
 * back. Footnote markers and page labels are not part of the letter's text, so they are skipped. */
(function () {
  "use strict";

  var section = document.querySelector("[data-annotations]");
  var body = document.querySelector(".letter-body");
  if (!section || !body) return;
  // Elements whose text is not part of the letter's plain text: footnote markers, page labels, our
  // own links. A renderer may mark any other such element with data-annotation-skip.
  var SKIP = 'a[href^="#fn"], .pb, .annotation-ref, [data-annotation-skip], script, style';

  function squeeze(value) { return value.replace(/\s+/g, ""); }

  // The text of the body without white space, and where each of its characters stands in the DOM.
  function index() {
    var chars = [];
    var places = [];
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var node = walker.nextNode();
    while (node) {
      for (var i = 0; i < node.data.length; i++) {
        if (!/\s/.test(node.data[i])) {
          chars.push(node.data[i]);
          places.push([node, i]);
        }
      }
      node = walker.nextNode();
    }
    return { text: chars.join(""), places: places };
  }

  function agreement(a, b, fromEnd) {
    var n = 0;
    while (n < a.length && n < b.length && (fromEnd ? a[a.length - 1 - n] === b[b.length - 1 - n] : a[n] === b[n])) n++;
    return n;
  }

  function find(flat, exact, prefix, suffix) {
    var best = -1;
    var bestScore = -1;
    var at = flat.indexOf(exact);
    while (at !== -1) {
      var score = agreement(flat.slice(Math.max(0, at - prefix.length), at), prefix, true) +
        agreement(flat.slice(at + exact.length, at + exact.length + suffix.length), suffix, false);
      if (score > bestScore) { best = at; bestScore = score; }
      at = flat.indexOf(exact, at + 1);
    }
    return best;
  }

  function highlight(item, number) {
    var exact = squeeze(item.dataset.exact);
    if (!exact) return false;
    var flat = index();
    var at = find(flat.text, exact, squeeze(item.dataset.prefix), squeeze(item.dataset.suffix));
    if (at === -1) return false;
    // Group the passage's characters by text node, then wrap each run (last first: offsets hold).
    var runs = [];
    flat.places.slice(at, at + exact.length).forEach(function (place) {
      var last = runs[runs.length - 1];
      if (last && last.node === place[0]) last.end = place[1] + 1;
      else runs.push({ node: place[0], start: place[1], end: place[1] + 1 });
    });
    var id = item.dataset.annotation;
    var marks = [];
    for (var r = runs.length - 1; r >= 0; r--) {
      var range = document.createRange();
      range.setStart(runs[r].node, runs[r].start);
      range.setEnd(runs[r].node, runs[r].end);
      var mark = document.createElement("mark");
      mark.className = "annotation-mark";
      mark.dataset.annotation = id;
      range.surroundContents(mark);
      marks.unshift(mark);
    }
    marks[0].id = "annotation-mark-" + id;
    var ref = document.createElement("a");
    ref.className = "annotation-ref";
    ref.href = "#annotation-" + id;
    ref.textContent = "[" + number + "]";
    ref.setAttribute("aria-label", "Editors’ annotation " + number);
    ref.setAttribute("aria-describedby", "annotation-" + id + "-note");
    var last = marks[marks.length - 1];
    last.parentNode.insertBefore(ref, last.nextSibling);
    marks.forEach(function (m) {
      m.addEventListener("click", function () { ref.click(); });
    });
    var back = item.querySelector(".annotation-back");
    if (back) back.hidden = false;
    return true;
  }

  var items = section.querySelectorAll("li[data-annotation]");
  Array.prototype.forEach.call(items, function (item, i) {
    if (!item.hasAttribute("data-orphaned")) highlight(item, i + 1);
  });
})();
