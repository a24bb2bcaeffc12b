// The selfie of a photo check: scaled down in the browser (longest side data-downscale pixels,
// upright, as JPEG) before it is uploaded.  Without JavaScript the original file is sent and
// the server scales it; a browser that cannot scale sends the original too.
(function () {
  function preview(input, blob) {
    var img = input.form.querySelector("[data-photo-preview]");
    if (!img) return;
    img.src = URL.createObjectURL(blob);
    img.hidden = false;
  }
  function downscale(input) {
    var file = input.files && input.files[0];
    var side = parseInt(input.dataset.downscale, 10) || 640;
    if (!file || !window.createImageBitmap || !window.DataTransfer) return;
    createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob) return;
        var transfer = new DataTransfer();
        transfer.items.add(new File([blob], "selfie.jpg", { type: "image/jpeg" }));
        input.files = transfer.files;
        input.dataset.scaled = canvas.width + "x" + canvas.height;
        preview(input, blob);
      }, "image/jpeg", 0.9);
    }).catch(function () { preview(input, file); });
  }
  function setUp(root) {
    root.querySelectorAll("input[type=file][data-downscale]").forEach(function (input) {
      if (input.dataset.ready) return;
      input.dataset.ready = "1";
      // Setting input.files from a script fires no change event: no loop.
      input.addEventListener("change", function () { downscale(input); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  // A form error answered in place (htmx) brings a new form: its file field is set up too.
  document.addEventListener("htmx:load", function (event) { setUp(event.detail.elt); });
})();
