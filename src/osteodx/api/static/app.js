// HPO autocomplete for the case form: asks /api/v1/hpo/search and fills a <datalist>.
(function () {
  "use strict";
  var search = document.getElementById("hpo-search");
  var options = document.getElementById("hpo-options");
  if (!search || !options) { return; }
  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    var q = search.value.trim();
    if (q.length < 2 || /^HP:\d{7}/.test(q)) { return; }
    timer = setTimeout(function () {
      fetch("/api/v1/hpo/search?limit=15&q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (terms) {
          options.textContent = "";
          terms.forEach(function (t) {
            var o = document.createElement("option");
            o.value = t.id + " " + t.label;
            options.appendChild(o);
          });
        })
        .catch(function () { /* autocomplete is a convenience; typing still works */ });
    }, 150);
  });
  function add(targetId) {
    var value = search.value.trim();
    if (!value) { return; }
    var m = /^(HP:\d{7})\b/.exec(value);
    var target = document.getElementById(targetId);
    target.value = (target.value.trim() ? target.value.trim() + "\n" : "") + (m ? m[1] : value);
    search.value = "";
    search.focus();
  }
  document.getElementById("add-present").addEventListener("click", function () { add("findings"); });
  document.getElementById("add-excluded").addEventListener("click", function () { add("excluded"); });
}());
