// zoomlive dashboard: live updates over server-sent events. Ours, no dependencies.
// Everything received is written with textContent, never parsed as HTML.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-live");
  if (!url || !window.EventSource) { return; }
  var ids = [];
  document.querySelectorAll("[data-meeting]").forEach(function (el) {
    ids.push(el.getAttribute("data-meeting"));
  });
  var rows = document.getElementById("journal-rows");
  var after = 0;
  if (rows) {
    rows.querySelectorAll("[data-entry]").forEach(function (el) {
      after = Math.max(after, parseInt(el.getAttribute("data-entry"), 10) || 0);
    });
  }
  var sep = url.indexOf("?") < 0 ? "?" : "&";
  var full = url + sep + "ids=" + ids.join(",") + (rows ? "&after=" + after : "");
  var state = document.getElementById("live-state");
  var source = new EventSource(full);
  source.addEventListener("open", function () { if (state) { state.textContent = " · live"; } });
  source.addEventListener("error", function () { if (state) { state.textContent = " · reconnecting"; } });
  // The server could not read the database (it keeps the stream open meanwhile).
  source.addEventListener("unavailable", function () { if (state) { state.textContent = " · database unavailable"; } });
  source.addEventListener("available", function () { if (state) { state.textContent = " · live"; } });
  // Fetch this page again and swap its content (the server escaped it, as it did the
  // first time); one fetch at a time, one more if a change came meanwhile.
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (fresh && main) { main.replaceChildren.apply(main, Array.from(fresh.childNodes)); }
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }
  var refreshOnChange = document.body.hasAttribute("data-refresh-on-change");
  source.addEventListener("changed", refresh);
  source.addEventListener("meeting", function (ev) {
    var m = JSON.parse(ev.data);
    document.querySelectorAll('[data-meeting="' + m.id + '"]').forEach(function (el) {
      el.querySelectorAll("[data-field]").forEach(function (f) {
        var name = f.getAttribute("data-field");
        if (!(name in m)) { return; }
        var value = String(m[name]);
        var shown = f.textContent;
        f.textContent = f.classList.contains("badge") && name.indexOf("media") === 0 ? name + ": " + value : value;
        if (name === "status" || name === "stream") {
          f.className = "badge " + name + "-" + value;
        }
        if (refreshOnChange && f.textContent !== shown) { refresh(); }
      });
    });
  });
  source.addEventListener("clock", function (ev) {
    var c = document.getElementById("clock");
    if (c) { c.textContent = JSON.parse(ev.data).iso; }
  });
  source.addEventListener("journal", function (ev) {
    if (!rows) { return; }
    var e = JSON.parse(ev.data);
    var tr = document.createElement("tr");
    tr.setAttribute("data-entry", String(e.id));
    [e.id, e.time, e.method, e.path, e.status, e.code === null ? "" : e.code,
     e.fault_id === null ? "" : e.fault_id, e.duration_ms.toFixed(1)].forEach(function (v) {
      var td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    });
    rows.insertBefore(tr, rows.firstChild);
    while (rows.children.length > 500) { rows.removeChild(rows.lastChild); }
  });
})();
