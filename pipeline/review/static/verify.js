// The verification screen, keyboard first:
//   Enter        this value is right (as shown, or as typed): tick it, go to the next field
//   typing       replaces the value (the whole value is selected when a field gets focus)
//   Esc          back to the value as read
//   Up / Down    previous / next field without ticking
//   Alt+P        the field's whole page, large (Esc closes)
//   Ctrl+Enter   save the screen;  Alt+N  next application without saving
// A judgement (a finding only a person can judge): 1 (or Y) 認める, 0 (or N) 認めない,
// then the reason typed in its box (required for 認めない) and Enter to go on.
// A proposed payment match: Enter confirms it (Esc takes that back).
// Each field, judgement and payment that decides the application takes its own keystroke.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  var appId = document.body.dataset.applicationId;
  var checks = Array.prototype.slice.call(document.querySelectorAll(".check"));
  var deciding = checks.filter(function (c) { return !c.closest(".informational"); });
  var remaining = document.getElementById("remaining");
  var pageImage = document.getElementById("page-image");
  var pageOutline = document.getElementById("page-outline");
  var pageLabel = document.getElementById("page-label");
  var overlay = document.getElementById("page-overlay");
  var overlayImage = document.getElementById("overlay-image");
  var overlayOutline = document.getElementById("overlay-outline");
  var save = document.getElementById("save");
  var bulk = document.getElementById("confirm-informational");
  var current = null;

  function input(check) { return check.querySelector(".value"); }
  function tick(check) { return check.querySelector("input.tick-box"); }
  function isJudge(check) { return check.classList.contains("judge"); }
  function picked(check) {
    var on = check.querySelector("input[type=radio]:checked");
    return on ? on.value : "";
  }
  function pick(check, value) {
    check.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === value; });
    check.classList.remove("needs-choice", "needs-reason");
    check.classList.toggle("picked-accept", value === "accept");
    check.classList.toggle("picked-reject", value === "reject");
    if (tick(check).checked) { tick(check).checked = false; check.classList.remove("done"); updateRemaining(); }
    preview();
  }
  // Enter on a judgement: go on only once it is decided (and 認めない has its reason).
  function judgeReady(check) {
    var choice = picked(check);
    if (!choice) { check.classList.add("needs-choice"); return false; }
    if (choice === "reject" && !input(check).value.trim()) { check.classList.add("needs-reason"); return false; }
    return true;
  }

  function placeOutline(box, outline) {
    var parts = (box || "").split(",");
    if (parts.length !== 4) { outline.classList.add("hidden"); return; }
    outline.style.left = parts[0] + "%";
    outline.style.top = parts[1] + "%";
    outline.style.width = parts[2] + "%";
    outline.style.height = parts[3] + "%";
    outline.classList.remove("hidden");
  }

  function showPage(check) {
    if (!pageImage || !check.dataset.page) return;
    var src = "/files/pages/" + check.dataset.page + "/image";
    if (pageImage.getAttribute("src") !== src) pageImage.setAttribute("src", src);
    if (pageLabel) pageLabel.textContent = check.dataset.pageLabel || "書類の画像";
    placeOutline(check.dataset.outline, pageOutline);
  }

  function focusCheck(check) {
    if (current) current.classList.remove("current");
    current = check;
    check.classList.add("current");
    showPage(check);
    var field = input(check);
    field.focus();
    if (field.select) field.select();
    check.scrollIntoView({ block: "nearest" });
  }

  function updateRemaining() {
    if (!remaining || !form) return;
    var left = deciding.filter(function (c) { return !tick(c).checked; }).length;
    remaining.innerHTML = left
      ? "判定に関わる項目: 残り <strong>" + left + "</strong> 件"
      : "判定に関わる項目はすべて確認しました。<kbd>Enter</kbd> で保存します";
  }

  function nextOpen(from, list) {
    var start = list.indexOf(from);
    for (var i = start + 1; i < list.length; i++) if (!tick(list[i]).checked) return list[i];
    for (var j = 0; j < start; j++) if (!tick(list[j]).checked) return list[j];
    return null;
  }

  // What the decision would be with the fields ticked so far (the server rolls it back).
  var outcome = document.getElementById("decision-outcome");
  var factsList = document.querySelector(".facts-up");
  var previewTimer = null;
  function preview() {
    if (!form || !outcome) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      fetch("/applications/" + appId + "/preview", {
        method: "POST", credentials: "same-origin", body: new FormData(form)
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data || !data.decision_ja) return;
        outcome.textContent = data.decision_ja + "（保存すると）";
        outcome.className = "outcome outcome-" + (data.decision || "none");
        if (factsList) {
          factsList.textContent = "";
          data.facts.forEach(function (text) {
            var li = document.createElement("li"); li.textContent = text; factsList.appendChild(li);
          });
        }
      }).catch(function () {});
    }, 250);
  }

  function confirmAndMove(check) {
    if (check.classList.contains("pay")) input(check).value = "true";
    tick(check).checked = true;
    check.classList.add("done");
    updateRemaining();
    if (!check.closest(".informational")) preview();
    var list = check.closest(".informational") ? checks : deciding;
    var next = nextOpen(check, list);
    if (next && next.closest(".informational") && !next.closest("details[open]")) next = null;
    if (next) focusCheck(next);
    else if (bulk && !bulk.checked && check.closest(".informational") === null) bulk.focus();
    else if (save) save.focus();
  }

  function move(step) {
    var visible = checks.filter(function (c) { return c.offsetParent !== null; });
    var at = visible.indexOf(current);
    var to = visible[at + step];
    if (to) focusCheck(to);
  }

  function openPage() {
    if (!overlay || !current || !current.dataset.page) return;
    overlayImage.setAttribute("src", "/files/pages/" + current.dataset.page + "/image");
    placeOutline(current.dataset.outline, overlayOutline);
    overlay.classList.remove("hidden");
    var box = (current.dataset.outline || "").split(",");
    overlayImage.onload = function () {
      if (box.length === 4) {
        var y = overlayImage.offsetHeight * Number(box[1]) / 100 - window.innerHeight / 3;
        overlay.scrollTop = Math.max(0, y);
      }
    };
  }

  function closePage() { if (overlay) overlay.classList.add("hidden"); }

  checks.forEach(function (check) {
    var field = input(check);
    field.addEventListener("focus", function () {
      if (current !== check) { if (current) current.classList.remove("current"); current = check; check.classList.add("current"); showPage(check); }
    });
    field.addEventListener("input", function () {
      if (tick(check).checked) { tick(check).checked = false; check.classList.remove("done"); updateRemaining(); }
    });
    field.addEventListener("keydown", function (e) {
      if (e.isComposing || e.keyCode === 229) return; // the input method is converting
      // A judgement's first key is the choice (a reason is typed after it).
      if (isJudge(check) && !field.value && !e.ctrlKey && !e.altKey && /^[1yｙ0nｎ]$/i.test(e.key)) {
        e.preventDefault(); pick(check, /^[1yｙ]$/i.test(e.key) ? "accept" : "reject"); return;
      }
      if (e.key === "Enter" && !e.ctrlKey && !e.altKey) {
        e.preventDefault();
        if (!isJudge(check) || judgeReady(check)) confirmAndMove(check);
      }
      else if (e.key === "Escape") {
        if (overlay && !overlay.classList.contains("hidden")) { closePage(); return; }
        if (isJudge(check)) pick(check, "");
        field.value = field.dataset.proposed; if (field.select) field.select();
        field.dispatchEvent(new Event("input"));
      } else if (e.key === "ArrowDown" && field.tagName !== "SELECT") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp" && field.tagName !== "SELECT") { e.preventDefault(); move(-1); }
      else if (field.tagName === "SELECT" && /^[1yｙ]$/i.test(e.key)) { e.preventDefault(); field.value = "true"; }
      else if (field.tagName === "SELECT" && /^[0nｎ]$/i.test(e.key)) { e.preventDefault(); field.value = "false"; }
    });
  });

  if (bulk) {
    bulk.addEventListener("keydown", function (e) {
      // Enter: confirm these together and go on to 保存 (Space only ticks or unticks).
      if (e.key === "Enter") { e.preventDefault(); bulk.checked = true; if (save) save.focus(); }
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey && (e.key === "p" || e.key === "P" || e.code === "KeyP")) { e.preventDefault(); openPage(); }
    else if (e.altKey && (e.key === "n" || e.key === "N" || e.code === "KeyN")) {
      e.preventDefault(); window.location.href = "/applications/next?after=" + appId;
    } else if (e.ctrlKey && e.key === "Enter" && form) { e.preventDefault(); form.requestSubmit(); }
    else if (e.key === "Escape") closePage();
  });
  if (overlay) overlay.addEventListener("click", closePage);
  // A crop smaller than a line of text (a tick box) is shown at twice its scanned size.
  document.querySelectorAll("img.field-crop").forEach(function (img) {
    function size() { if (img.naturalHeight && img.naturalHeight < 80) img.classList.add("small"); }
    if (img.complete) size(); else img.addEventListener("load", size);
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains("field-crop")) t.classList.toggle("zoomed");
  });

  // A second submit of the same screen (a double Enter) would be refused as stale.
  if (form) form.addEventListener("submit", function () {
    if (save) { save.disabled = true; save.textContent = "保存しています…"; }
  });

  var first = document.querySelector(".check.has-error") || deciding[0] || null;
  if (first) focusCheck(first);
  else if (bulk) bulk.focus();
  updateRemaining();
})();
