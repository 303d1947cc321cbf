// Workhive pages: keep a claim's lease alive while its page is open, follow a task's progress, and
// follow a worker's payouts until they are final.
// Plain JavaScript, same-origin requests with the session cookie and the page's CSRF token.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function post(url) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    });
  }

  function formatDuration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s >= 3600) return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
    if (s >= 60) return Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
    return s + " s";
  }

  // The lease countdown: time left is measured from the page's own clock (performance.now), anchored
  // to what the server said, so a wrong clock on the phone does not matter. Heartbeats go out every
  // third of the lease, and at once when the page becomes visible again.
  function startLease(box) {
    var timer = box.querySelector(".lease-timer");
    var status = box.querySelector(".lease-status");
    var leaseMs = Number(box.dataset.leaseSeconds) * 1000;
    var url = box.dataset.heartbeatUrl;
    var deadline = performance.now() + Number(box.dataset.leaseRemainingMs);
    var lost = false, sending = false;
    var every = Math.max(2000, Math.floor(leaseMs / 3));

    function render() {
      var left = deadline - performance.now();
      timer.textContent = formatDuration(left);
      box.classList.toggle("low", left < leaseMs * 0.2);
      if (left <= 0 && !lost) markLost("Your time on this task ran out; it has gone back to the queue.");
    }
    function markLost(message) {
      lost = true;
      box.classList.add("lost");
      status.textContent = message;
      status.setAttribute("role", "alert");
      document.querySelectorAll("form button[type=submit]").forEach(function (b) {
        if (!b.closest(".site-header")) b.disabled = true;
      });
    }
    function beat() {
      if (lost || sending) return;
      sending = true;
      var sentAt = performance.now();
      post(url).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (answer) {
        if (answer.ok) {
          deadline = sentAt + answer.body.remaining_ms;
          status.textContent = "Hold renewed — it stays yours while this page is open.";
        } else {
          markLost((answer.body.error && answer.body.error.message) || "This task is no longer yours.");
        }
      }).catch(function () {
        status.textContent = "Could not reach the server; retrying…";
      }).finally(function () { sending = false; render(); });
    }
    render();
    setInterval(render, 1000);
    setInterval(beat, every);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) beat(); });
    beat();
  }

  // Task progress: poll the progress endpoint and reload when anything on the page would change.
  function followProgress(box) {
    var url = box.dataset.progressUrl;
    var note = box.querySelector("[data-progress-note]");
    var version = null;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          if (version !== null && p.version !== version) {
            if (note) note.textContent = "Updated: " + p.state_label + ". Reloading…";
            window.location.reload();
            return;
          }
          version = p.version;
        })
        .catch(function () { if (note) note.textContent = "Live updates paused; reload to refresh."; });
    }
    poll();
    setInterval(poll, 3000);
  }

  // Parts of a page that follow something in flight (a worker's payouts): poll a version, and when it
  // changes fetch the page again and swap in its [data-live-part] elements by id. Forms are not part
  // of them, so nothing the person is typing is lost. Stops once the server says nothing is moving.
  function followLiveParts(box) {
    var url = box.dataset.liveUrl;
    var note = box.querySelector("[data-live-note]");
    var version = box.dataset.liveVersion;
    var timer = null;
    function refresh() {
      return fetch(window.location.pathname + window.location.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-part]").forEach(function (part) {
            var next = part.id && fresh.getElementById(part.id);
            if (next) part.replaceWith(document.importNode(next, true));
          });
        });
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          var changed = p.version !== version;
          version = p.version;
          return (changed ? refresh() : Promise.resolve()).then(function () {
            if (changed && note) note.textContent = "Updated: " + p.state_label + ".";
            if (!p.live) { clearInterval(timer); if (note && !changed) note.textContent = "Up to date."; }
          });
        })
        .catch(function () { if (note) note.textContent = "Live updates paused; reload to refresh."; });
    }
    timer = setInterval(poll, 2000);
    poll();
  }

  document.querySelectorAll("[data-heartbeat-url]").forEach(startLease);
  document.querySelectorAll("[data-progress-url]").forEach(followProgress);
  document.querySelectorAll("[data-live-url]").forEach(followLiveParts);
})();
