// Check-in forms answer in place (htmx): a refusal comes with a 4xx status and its card to show, which
// htmx would otherwise drop as an error.  No inline handlers: the Content-Security-Policy forbids them.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status >= 400 && status < 500 && event.detail.elt.closest("[data-checkin]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
