// Location for check-ins: asked only where a page says the session needs it.
(function () {
  function fill(form, pos) {
    form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
  }
  // The page's language: the texts come from #geo-messages (templates/partials/geo_messages.html).
  function text(key, fallback) {
    var box = document.getElementById("geo-messages");
    return (box && box.dataset[key]) || fallback;
  }
  function say(form, message) {
    var out = form.querySelector("[data-geo-status]") || document.getElementById("geo-status");
    if (out) out.textContent = message;
  }
  function locate(form, then) {
    if (!navigator.geolocation) { say(form, text("unsupported", "This browser cannot share its location.")); then(false); return; }
    say(form, text("asking", "Asking your browser for its location…"));
    navigator.geolocation.getCurrentPosition(
      function (pos) { fill(form, pos); say(form, text("shared", "Location shared.")); then(true); },
      function (err) {
        say(form, err.code === 1
          ? text("denied", "Location permission was denied. Allow it in your browser settings, or continue: your teacher will review your check-in.")
          : text("unavailable", "Your location could not be found. Continue, and your teacher will review your check-in."));
        then(false);
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }
  // requestSubmit fires the submit event, so htmx sends the form and shows the answer in place (submit() would not).
  function send(form) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-geo]").forEach(function (form) {
      var auto = form.hasAttribute("data-autosubmit");
      var go = function (ok) { if (auto && ok) send(form); else form.querySelector("[type=submit]").hidden = false; };
      if (form.dataset.geo === "required") locate(form, go);
      else if (auto) send(form);
    });
    var toggle = document.getElementById("id_use_location");
    if (toggle) toggle.addEventListener("change", function () {
      if (toggle.checked) locate(toggle.form, function () {});
    });
  });
})();
