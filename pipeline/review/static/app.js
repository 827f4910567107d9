// The review app's little bit of JavaScript: presence heartbeat, page images on
// demand with zoom, and a confirmation before final decisions. No libraries.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var token = csrf ? csrf.getAttribute("content") : "";

  // Page images load only when their section is opened; a click zooms.
  document.querySelectorAll("details[data-lazy]").forEach(function (d) {
    d.addEventListener("toggle", function () {
      var img = d.querySelector("img[data-src]");
      if (d.open && img && !img.getAttribute("src")) img.setAttribute("src", img.dataset.src);
    });
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains("zoomable")) t.classList.toggle("zoomed");
  });

  // Ask before approving or rejecting.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });

  // Who else has this item open.
  var itemId = document.body.dataset.itemId;
  if (!itemId) return;
  var box = document.getElementById("presence");
  var every = Math.max(5, Number(document.body.dataset.presenceSeconds || 60) / 3) * 1000;
  function show(names) {
    if (!box) return;
    box.textContent = "";
    names.forEach(function (n) {
      var p = document.createElement("p");
      p.textContent = n + "さんもこの項目を開いています。";
      box.appendChild(p);
    });
    box.classList.toggle("hidden", names.length === 0);
  }
  function beat() {
    fetch("/items/" + itemId + "/presence", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": token }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data.others); })
      .catch(function () {});
  }
  setInterval(beat, every);
  window.addEventListener("pagehide", function () {
    var form = new FormData();
    form.append("csrf_token", token);
    form.append("leaving", "1");
    if (navigator.sendBeacon) navigator.sendBeacon("/items/" + itemId + "/presence", form);
  });
})();
