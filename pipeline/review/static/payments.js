// The payments desk: the total and the remainder of a split, live as staff choose.
(function () {
  "use strict";
  var form = document.getElementById("allocate-form");
  if (!form) return;
  var remaining = Number(form.dataset.remaining || 0);
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.choose"));
  var all = document.getElementById("choose-all");
  var out = document.getElementById("allocate-sum");
  var submit = document.getElementById("allocate-submit");

  function yen(n) { return n.toLocaleString("ja-JP") + "円"; }
  function amountOf(box) {
    var input = form.querySelector('input[name="amount_' + box.value + '"]');
    var text = (input ? input.value : "").replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/[,，円\s]/g, "");
    return /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  }
  function update() {
    var count = 0, total = 0, bad = [];
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("chosen", box.checked);
      if (!box.checked) return;
      count += 1;
      var amount = amountOf(box);
      if (isNaN(amount) || amount <= 0) bad.push("#" + box.value); else total += amount;
    });
    var left = remaining - total;
    out.className = "";
    if (count === 0) {
      out.textContent = "申請を選ぶと、合計と残りがここに表示されます（残り " + yen(remaining) + "）。";
    } else if (bad.length) {
      out.textContent = "申請 " + bad.join("、") + " の金額を数字で入力してください。";
      out.className = "over";
    } else if (left < 0) {
      out.textContent = "選択 " + count + "件・合計 " + yen(total) + "：入金の残り " + yen(remaining) +
        " を " + yen(-left) + " 超えています。";
      out.className = "over";
    } else {
      out.textContent = "選択 " + count + "件・合計 " + yen(total) + " → 残り " + yen(left) +
        (left === 0 ? "（すべて割り当てます）" : "（残りは後で割り当てられます）");
      if (left === 0) out.className = "done";
    }
    submit.disabled = count === 0 || bad.length > 0 || left < 0;
  }
  form.addEventListener("input", update);
  if (all) all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    update();
  });
  update();
})();
