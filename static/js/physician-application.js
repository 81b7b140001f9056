// The application form: institution search-as-you-type and adding work-history periods.
// Without JavaScript the page still works: "Save and search institutions" opens a search page,
// and an empty period row is always offered after saving.
(function () {
  "use strict";

  var box = document.querySelector(".institution-search");
  var hidden = document.getElementById("id_institution");
  if (box && hidden) {
    box.classList.remove("d-none");
    var input = document.getElementById("institution-q");
    var results = document.getElementById("institution-results");
    var chosen = document.getElementById("institution-chosen");
    var timer = null;
    var choose = function (item) {
      hidden.value = item.id;
      chosen.replaceChildren();
      var name = document.createElement("strong");
      name.textContent = item.name;
      var details = document.createElement("div");
      details.className = "small text-muted";
      details.textContent = item.registration_number + " · " + item.address + " · " + item.postcode;
      chosen.append(name, details);
      results.replaceChildren();
      input.value = "";
    };
    var search = function () {
      var q = input.value.trim();
      if (!q) { results.replaceChildren(); return; }
      fetch(box.dataset.url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          results.replaceChildren();
          if (!data.results.length) {
            var none = document.createElement("div");
            none.className = "list-group-item small text-muted";
            none.textContent = box.dataset.none;
            results.append(none);
            return;
          }
          data.results.forEach(function (item) {
            var button = document.createElement("button");
            button.type = "button";
            button.className = "list-group-item list-group-item-action";
            button.setAttribute("role", "option");
            button.textContent = item.name + " (" + item.registration_number + ")";
            button.addEventListener("click", function () { choose(item); });
            results.append(button);
          });
        })
        .catch(function () { results.replaceChildren(); });
    };
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); }
    });
  }

  var add = document.getElementById("add-period");
  var template = document.getElementById("period-template");
  var total = document.getElementById("id_periods-TOTAL_FORMS");
  if (add && template && total) {
    add.classList.remove("d-none");
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      document.getElementById("periods").insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
    });
  }
})();
