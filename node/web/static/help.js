// A help request's page: while the request is open, read the page again
// every few seconds and show new answers without a reload. Without this
// file the page's refresh link does the same.
(function () {
  var conv = document.getElementById("helpconv");
  if (!conv || !conv.dataset.helpPoll || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(conv.dataset.helpPoll, 10) * 1000;
  function poll() {
    fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var next = doc.getElementById("helpconv");
        if (!next) { return; }
        if (next.innerHTML !== conv.innerHTML) { conv.innerHTML = next.innerHTML; }
        if (next.dataset.helpPoll) { setTimeout(poll, every); }
      })
      .catch(function () { setTimeout(poll, every * 3); });
  }
  setTimeout(poll, every);
})();
