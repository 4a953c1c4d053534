// The page of `mmapspec html`: clause details on click, and the matrix's filters.
(function () {
  "use strict";
  var dialog = document.getElementById("detail");
  var body = document.getElementById("detail-body");
  var title = document.getElementById("detail-title");

  function showDetail(key, clause) {
    var source = document.getElementById(key);
    if (!source) return;
    body.replaceChildren(source.content.cloneNode(true));
    title.textContent = clause;
    if (!dialog.open) dialog.showModal();
    body.scrollTop = 0;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-detail]");
    if (!target) return;
    var row = target.closest("[data-clause]");
    showDetail(target.dataset.detail, target.dataset.clause || (row && row.dataset.clause) || "");
  });
  document.getElementById("detail-close").addEventListener("click", function () {
    dialog.close();
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close(); // a click on the backdrop
  });

  var form = document.getElementById("filters");
  var section = document.getElementById("section-filter");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#matrix tr.clause"));
  var bodies = Array.prototype.slice.call(document.querySelectorAll("#matrix tbody"));

  function applyFilters() {
    var wanted = {};
    form.querySelectorAll("input[name=status]").forEach(function (box) {
      if (box.checked) wanted[box.value] = true;
    });
    var count = 0;
    rows.forEach(function (row) {
      var inSection = section.value === "" || row.dataset.section === section.value;
      var statusOk = row.dataset.statuses.split(" ").some(function (s) { return wanted[s]; });
      row.hidden = !(inSection && statusOk);
      if (!row.hidden) count += 1;
    });
    bodies.forEach(function (tbody) {
      tbody.hidden = !tbody.querySelector("tr.clause:not([hidden])");
    });
    shown.textContent = count + " of " + rows.length + " clauses shown";
  }

  form.addEventListener("change", applyFilters);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  applyFilters();
})();
