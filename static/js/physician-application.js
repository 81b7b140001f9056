// The application form: institution search-as-you-type and adding work-history periods.
// Without JavaScript the page still works: "Save and search institutions" opens a search page,
// and an empty period row is always offered after saving.
(function () {
  "use strict";

  var box = document.querySelector(".institution-search");
  var hidden = document.getElementById("id_institution");
  if (box && hidden) {
    box.classList.remove("d-none");
    // The search-as-you-type replaces the fallback search page, so only one way is shown.
    document.querySelectorAll(".js-hide").forEach(function (el) { el.classList.add("d-none"); });
    var status = document.getElementById("institution-status");
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
      status.textContent = box.dataset.chosen + " " + item.name;
    };
    var search = function () {
      var q = input.value.trim();
      if (!q) { results.replaceChildren(); status.textContent = ""; return; }
      fetch(box.dataset.url + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          results.replaceChildren();
          if (!data.results.length) {
            var none = document.createElement("div");
            none.className = "list-group-item small text-muted";
            none.textContent = box.dataset.none;
            results.append(none);
            status.textContent = box.dataset.none;
            return;
          }
          data.results.forEach(function (item) {
            var button = document.createElement("button");
            button.type = "button";
            button.className = "list-group-item list-group-item-action";
            button.textContent = item.name + " (" + item.registration_number + ")";
            button.addEventListener("click", function () { choose(item); });
            results.append(button);
          });
          status.textContent = box.dataset.found.replace("__N__", String(data.results.length));
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
