// Gantry's only script, loaded from this server (the CSP allows no other
// and no inline script). Pages work without it; it adds two things:
//  - a page with data-refresh on <body> reloads itself every so many
//    seconds while the tab is visible (runs in flight, the home page);
//  - a log with data-tail appends what the task writes, polling the
//    plain-text log from the offset it has read to.
(function () {
  "use strict";
  var body = document.body;
  var tail = document.querySelector("pre[data-tail]");
  var every = parseInt(body.getAttribute("data-refresh") || "0", 10);
  if (every > 0 && !tail) {
    setInterval(function () {
      var busy = document.activeElement && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
      var open = document.querySelector("details[open]");
      if (!document.hidden && !busy && !open) { location.reload(); }
    }, every * 1000);
  }
  if (!tail) { return; }
  var code = tail.querySelector("code") || tail;
  var offset = parseInt(tail.getAttribute("data-offset") || "0", 10);
  var url = tail.getAttribute("data-tail");
  function poll() {
    fetch(url + "?offset=" + offset, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      var next = parseInt(r.headers.get("X-Log-Offset") || String(offset), 10);
      var done = r.headers.get("X-Log-Done") === "1";
      return r.text().then(function (text) {
        if (text) {
          var atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 4;
          code.appendChild(document.createTextNode(text)); // text, never HTML
          if (atEnd) { window.scrollTo(0, document.body.scrollHeight); }
        }
        offset = next;
        if (done) {
          var live = document.getElementById("live");
          if (live) { live.textContent = "The attempt has ended; this is its whole log."; }
          return;
        }
        setTimeout(poll, 1000);
      });
    }).catch(function () { setTimeout(poll, 5000); });
  }
  poll();
})();
