// Follows a running import in the admin: polls the run's progress (JSON) and shows documents parsed of
// the total, the rate and the time left; reloads the page when the run ends, to show its report.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-url");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var status = document.getElementById("run-status");
  var INTERVAL = 1000;

  function describe(data) {
    if (data.status === "queued") {
      return "Waiting for a worker to take the job…";
    }
    var line = (data.done || 0) + " documents parsed";
    if (data.total) {
      line += " of " + data.total;
    }
    if (data.rate) {
      line += ", " + data.rate + " documents/s";
    }
    if (data.eta !== null && data.eta !== undefined) {
      line += ", about " + data.eta + " s left";
    }
    if (data.volume) {
      line += " (" + data.volume + ")";
    }
    return line;
  }

  function show(data) {
    if (data.total) {
      bar.max = data.total;
    }
    bar.value = data.done || 0;
    text.textContent = describe(data);
    status.textContent = data.status_label;
    box.setAttribute("data-status", data.status);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("progress: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, INTERVAL);
        }
      })
      .catch(function () {
        window.setTimeout(poll, INTERVAL * 3);
      });
  }

  window.setTimeout(poll, INTERVAL / 2);
})();
