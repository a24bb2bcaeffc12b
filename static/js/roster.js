// The live roster polls every 3 s. A poll never starts while the teacher types in one of its boxes or has
// ticked students for a bulk marking, and
// a reason typed but not sent survives the polls (its box has hx-preserve). This guard lives here, not
// in an hx-trigger filter: the Content-Security-Policy allows htmx no eval, so a filter never runs.
document.addEventListener("htmx:confirm", function (event) {
  var roster = document.getElementById("roster");
  if (!roster || event.detail.elt !== roster) return;
  var typing = document.activeElement;
  if (typing && roster.contains(typing) && typing.tagName === "INPUT") event.preventDefault();
  // Students ticked for a bulk marking: the poll waits until the teacher marks them (or unticks them).
  if (roster.querySelector("input.pick:checked")) event.preventDefault();
});
