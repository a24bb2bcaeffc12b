// A field that only matters when a box is ticked (data-shown-by="<the box's id>") is hidden while it is not:
// the start form's "Starts at" (Start later) and "Radius" (Check the students' location). Without
// scripts every field shows.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-shown-by]").forEach(function (part) {
    var box = document.getElementById(part.getAttribute("data-shown-by"));
    if (!box) return;
    function follow() { part.hidden = !box.checked; }
    box.addEventListener("change", follow);
    follow();
  });
});
