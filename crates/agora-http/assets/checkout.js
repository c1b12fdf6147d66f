// Live shipping prices on the checkout page: when the buyer picks a saved address or types a
// country, the shop's shipping methods and the totals are fetched again (the same form step as
// the "Show shipping prices" button, which the page keeps for browsers without this script) and
// swapped in without a reload; picking a method updates the totals.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  if (!form || !window.fetch || !window.DOMParser || !window.FormData || !window.URLSearchParams) return;
  var button = document.getElementById("show-shipping");
  if (button) button.remove();
  var latest = 0;
  var timer = null;

  // `ids`: the parts of the page to replace with their fresh versions.
  function refresh(ids) {
    var data = new URLSearchParams(new FormData(form));
    data.set("step", "shipping");
    var mine = ++latest;
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        // An older answer than the last question asked changes nothing.
        if (!html || mine !== latest) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) old.replaceWith(fresh);
        });
      })
      .catch(function () {})
      .then(function () {
        if (mine === latest) form.removeAttribute("aria-busy");
      });
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (name === "address_id" || name === "country") {
      refresh(["checkout-shipping", "checkout-totals"]);
    } else if (name.indexOf("shipping_method.") === 0) {
      // Keep the fieldset the buyer is in (and its focus); only the figures change.
      refresh(["checkout-totals"]);
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.name !== "country") return;
    clearTimeout(timer);
    var typed = event.target.value.trim();
    if (typed.length !== 2 && typed.length !== 0) return;
    timer = setTimeout(function () { refresh(["checkout-shipping", "checkout-totals"]); }, 250);
  });
})();
