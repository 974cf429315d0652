/* The annotating page of a letter in the admin (templates/admin/catalog/annotation/annotate.html).
 *
 * The letter's plain text (Letter.body_text) is shown as text; offsets in it are the offsets of the
 * W3C TextPositionSelector. An editor selects a passage (mouse, keyboard with Shift+arrows, or
 * "Find a passage"), a form appears, and the annotation is written through the JSON API
 * (catalog/annotations_api.py) with the session's CSRF token. Existing annotations are highlighted
 * and listed; each can be edited or deleted. No framework, no build step. */
(function () {
  "use strict";

  var root = document.getElementById("annotate");
  if (!root) return;
  var textBox = document.getElementById("annotate-text");
  var form = document.getElementById("annotate-form");
  var list = document.getElementById("annotate-list");
  var status = document.getElementById("annotate-status");
  var api = root.dataset.api;
  var canAdd = root.dataset.canAdd === "1";
  var canChange = root.dataset.canChange === "1";
  var canDelete = root.dataset.canDelete === "1";
  var text = textBox.textContent;
  var annotations = [];
  var rendering = false;

  function $(id) { return document.getElementById(id); }

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("is-error", Boolean(isError));
  }

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function idOf(annotation) {
    var match = /\/(\d+)\/$/.exec(annotation.id);
    return match ? match[1] : "";
  }

  function selectorOf(annotation, type) {
    var found = null;
    annotation.target.selector.forEach(function (s) { if (s.type === type) found = s; });
    return found;
  }

  function bodyOf(annotation, purpose) {
    return annotation.body.filter(function (b) {
      return purpose === "text" ? b.type === "TextualBody" && b.purpose !== "tagging" : b.purpose === purpose;
    });
  }

  // -- offsets ---------------------------------------------------------------------------------
  function offsetOf(node, offset) {
    var range = document.createRange();
    range.setStart(textBox, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function pointAt(offset) {
    var walker = document.createTreeWalker(textBox, NodeFilter.SHOW_TEXT);
    var seen = 0;
    var node = walker.nextNode();
    while (node) {
      if (seen + node.data.length >= offset) return { node: node, offset: offset - seen };
      seen += node.data.length;
      node = walker.nextNode();
    }
    return { node: textBox, offset: textBox.childNodes.length };
  }

  function selectRange(start, end) {
    var a = pointAt(start);
    var b = pointAt(end);
    var range = document.createRange();
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // -- the text with its highlights --------------------------------------------------------------
  function render() {
    rendering = true;
    var bounds = [0, text.length];
    var shown = annotations.filter(function (a) { return a.anchoring !== "orphaned"; });
    shown.forEach(function (a) {
      var p = selectorOf(a, "TextPositionSelector");
      bounds.push(p.start, p.end);
    });
    bounds = bounds.filter(function (v, i, all) { return all.indexOf(v) === i; }).sort(function (x, y) { return x - y; });
    var fragment = document.createDocumentFragment();
    for (var i = 0; i + 1 < bounds.length; i++) {
      var s = bounds[i], e = bounds[i + 1];
      var piece = text.slice(s, e);
      var covering = shown.filter(function (a) {
        var p = selectorOf(a, "TextPositionSelector");
        return p.start <= s && p.end >= e;
      });
      if (!covering.length) {
        fragment.appendChild(document.createTextNode(piece));
        continue;
      }
      var mark = document.createElement("mark");
      mark.className = "annotate-hl";
      if (covering.some(function (a) { return a.visibility === "public"; })) mark.classList.add("is-public");
      mark.dataset.ids = covering.map(idOf).join(" ");
      mark.textContent = piece;
      fragment.appendChild(mark);
    }
    textBox.textContent = "";
    textBox.appendChild(fragment);
    rendering = false;
  }

  function renderList() {
    list.textContent = "";
    if (!annotations.length) {
      var empty = document.createElement("li");
      empty.className = "annotate-empty";
      empty.textContent = "No annotations yet.";
      list.appendChild(empty);
      return;
    }
    annotations.forEach(function (a) {
      var li = document.createElement("li");
      li.id = "annotation-" + idOf(a);
      li.className = "annotate-item is-" + a.anchoring;
      var quote = document.createElement("q");
      quote.textContent = selectorOf(a, "TextQuoteSelector").exact;
      var meta = document.createElement("span");
      meta.className = "annotate-meta";
      meta.textContent = " " + a.motivation + " · " + a.visibility + (a.anchoring !== "anchored" ? " · " + a.anchoring : "");
      var note = document.createElement("p");
      note.className = "annotate-note";
      note.textContent = (bodyOf(a, "text")[0] || { value: "" }).value;
      var tags = bodyOf(a, "tagging").map(function (b) { return b.value; });
      var resources = a.body.filter(function (b) { return b.type === "SpecificResource"; });
      li.appendChild(quote);
      li.appendChild(meta);
      li.appendChild(note);
      if (tags.length || resources.length) {
        var extra = document.createElement("p");
        extra.className = "annotate-extra";
        extra.textContent = tags.map(function (t) { return "#" + t; }).concat(
          resources.map(function (r) { return "→ " + r.label; })).join(" ");
        li.appendChild(extra);
      }
      if (canChange || canDelete) {
        var edit = document.createElement("button");
        edit.type = "button";
        edit.className = "annotate-edit";
        edit.textContent = "Edit";
        edit.setAttribute("aria-label", "Edit the annotation of “" + quote.textContent + "”");
        edit.addEventListener("click", function () { openExisting(a); });
        li.appendChild(edit);
      }
      list.appendChild(li);
    });
    if (location.hash && document.querySelector(location.hash)) {
      document.querySelector(location.hash).classList.add("is-current");
    }
  }

  function load() {
    return fetch(api, { credentials: "same-origin", headers: { Accept: "application/ld+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("The annotations could not be loaded (" + response.status + ").");
        return response.json();
      })
      .then(function (data) {
        annotations = data.first.items;
        render();
        renderList();
      })
      .catch(function (error) { say(error.message, true); });
  }

  // -- the form ------------------------------------------------------------------------------------
  function showGroups() {
    var motivation = $("annotate-motivation").value;
    $("annotate-person-group").hidden = motivation !== "identifying";
    $("annotate-link-group").hidden = motivation !== "linking";
  }

  function setOptions(select, options, value) {
    select.textContent = "";
    options.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o.id;
      option.textContent = o.text;
      if (String(o.id) === String(value)) option.selected = true;
      select.appendChild(option);
    });
  }

  function openForm(start, end, legend) {
    form.hidden = false;
    $("annotate-start").value = start;
    $("annotate-end").value = end;
    $("annotate-quote").textContent = text.slice(start, end);
    $("annotate-range").textContent = "(characters " + start + "–" + end + ")";
    $("annotate-form-legend").textContent = legend;
    showGroups();
  }

  function openNew(start, end) {
    if (!canAdd) return;
    if (!form.hidden && !$("annotate-id").value) {
      openForm(start, end, "New annotation"); // a new selection: keep what was typed
      return;
    }
    form.reset();
    $("annotate-id").value = "";
    $("annotate-version").value = "";
    $("annotate-delete").hidden = true;
    $("annotate-save").textContent = "Save annotation";
    setOptions($("annotate-person"), [], "");
    setOptions($("annotate-letter"), [], "");
    openForm(start, end, "New annotation");
  }

  function openExisting(a) {
    var p = selectorOf(a, "TextPositionSelector");
    form.reset();
    $("annotate-id").value = idOf(a);
    $("annotate-version").value = a.version;
    $("annotate-motivation").value = a.motivation;
    $("annotate-visibility").value = a.visibility;
    $("annotate-body").value = (bodyOf(a, "text")[0] || { value: "" }).value;
    $("annotate-tags").value = bodyOf(a, "tagging").map(function (b) { return b.value; }).join(", ");
    var person = bodyOf(a, "identifying")[0];
    setOptions($("annotate-person"), person ? [{ id: a.person, text: person.label }] : [], a.person);
    var link = bodyOf(a, "linking")[0];
    setOptions($("annotate-letter"), link ? [{ id: a.target_letter, text: link.label }] : [], a.target_letter);
    $("annotate-delete").hidden = !canDelete;
    $("annotate-save").textContent = "Save changes";
    $("annotate-save").disabled = !canChange;
    openForm(p.start, p.end, "Annotation of “" + selectorOf(a, "TextQuoteSelector").exact + "”" +
      (a.anchoring === "orphaned" ? " (orphaned: its passage was not found)" : ""));
    $("annotate-body").focus();
  }

  function closeForm() {
    form.hidden = true;
    $("annotate-save").disabled = false;
  }

  function payload() {
    var start = Number($("annotate-start").value);
    var end = Number($("annotate-end").value);
    var body = [{ type: "TextualBody", value: $("annotate-body").value, format: "text/plain" }];
    $("annotate-tags").value.split(",").forEach(function (tag) {
      tag = tag.trim();
      if (tag) body.push({ type: "TextualBody", value: tag, purpose: "tagging" });
    });
    var data = {
      "@context": "http://www.w3.org/ns/anno.jsonld",
      type: "Annotation",
      motivation: $("annotate-motivation").value,
      visibility: $("annotate-visibility").value,
      body: body,
      person: $("annotate-person").value || null,
      target_letter: $("annotate-letter").value || null,
      target: {
        selector: [
          { type: "TextQuoteSelector", exact: text.slice(start, end) },
          { type: "TextPositionSelector", start: start, end: end }
        ]
      }
    };
    if ($("annotate-version").value) data.version = Number($("annotate-version").value);
    return data;
  }

  function send(method, url, data) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/ld+json" }
    };
    if (data !== undefined) {
      options.headers["Content-Type"] = "application/ld+json";
      options.body = JSON.stringify(data);
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || "The server refused (" + response.status + ").");
        return json;
      });
    });
  }

  function annotationUrl(id) {
    return api.replace(/api\/letters\/.*$/, "api/annotations/" + id + "/");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var id = $("annotate-id").value;
    var request = id ? send("PATCH", annotationUrl(id), payload()) : send("POST", api, payload());
    request
      .then(function () {
        closeForm();
        say(id ? "Annotation saved." : "Annotation created.");
        return load();
      })
      .catch(function (error) { say(error.message, true); });
  });

  $("annotate-delete").addEventListener("click", function () {
    var id = $("annotate-id").value;
    if (!id || !window.confirm("Delete this annotation?")) return;
    send("DELETE", annotationUrl(id) + "?version=" + encodeURIComponent($("annotate-version").value))
      .then(function () {
        closeForm();
        say("Annotation deleted.");
        return load();
      })
      .catch(function (error) { say(error.message, true); });
  });

  $("annotate-cancel").addEventListener("click", function () {
    closeForm();
    textBox.focus();
  });
  $("annotate-motivation").addEventListener("change", showGroups);

  // -- person and letter look-ups (the admin's own autocomplete) --------------------------------
  function lookup(input, select) {
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = root.dataset.autocomplete + "?" + new URLSearchParams({
          app_label: "catalog", model_name: "annotation", field_name: input.dataset.field, term: input.value
        });
        fetch(url, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            setOptions(select, data.results, select.value);
            if (data.results.length && !select.value) select.selectedIndex = 0;
            say(data.results.length + " found.");
          });
      }, 250);
    });
  }
  lookup($("annotate-person-search"), $("annotate-person"));
  lookup($("annotate-letter-search"), $("annotate-letter"));

  // -- selecting a passage ----------------------------------------------------------------------
  function currentSelection() {
    var selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) return null;
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    return end > start ? { start: start, end: end } : null;
  }

  var pending = null;
  document.addEventListener("selectionchange", function () {
    if (rendering) return;
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      var found = currentSelection();
      if (found && !$("annotate-id").value) openNew(found.start, found.end);
      else if (found && $("annotate-id").value && document.activeElement === textBox) openNew(found.start, found.end);
    }, 150);
  });

  // Keyboard selection: the text is a read-only editable region, so the caret moves with the arrow
  // keys and Shift extends the selection; any edit is refused.
  if (canAdd) {
    textBox.contentEditable = "true";
    textBox.spellcheck = false;
    textBox.setAttribute("role", "textbox");
    textBox.setAttribute("aria-multiline", "true");
    textBox.setAttribute("aria-readonly", "true");
    ["beforeinput", "paste", "drop", "cut"].forEach(function (name) {
      textBox.addEventListener(name, function (event) { event.preventDefault(); });
    });
    textBox.addEventListener("input", function () { render(); });
  }

  textBox.addEventListener("click", function (event) {
    var mark = event.target.closest("mark.annotate-hl");
    if (!mark || !window.getSelection().isCollapsed) return;
    var id = mark.dataset.ids.split(" ")[0];
    var a = annotations.filter(function (x) { return idOf(x) === id; })[0];
    if (a) openExisting(a);
  });

  $("annotate-find").addEventListener("submit", function (event) {
    event.preventDefault();
    var words = $("annotate-find-input").value.trim();
    if (!words) return;
    var from = Number($("annotate-end").value) || 0;
    var at = text.indexOf(words, from);
    if (at === -1) at = text.indexOf(words);
    if (at === -1) {
      say("“" + words + "” is not in the text.", true);
      return;
    }
    selectRange(at, at + words.length);
    openNew(at, at + words.length);
    say("Selected characters " + at + "–" + (at + words.length) + ".");
  });

  load();
})();
