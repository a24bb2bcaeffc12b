// Forms with data-confirm ask before they submit (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
}, true);
