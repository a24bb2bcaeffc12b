// The live selfie of a photo check: two frames from the camera a moment apart, looking straight and then
// with the head turned the way the server asked (data-direction).  The frames go into the form's file
// fields (photo, photo_turned) and are sent with "Check in"; the server's worker judges them.  Without a
// camera (or without permission) the file chooser below stays, and the teacher sees "no live check".
(function () {
  var STRAIGHT_MS = 1200; // time to settle before the first picture
  var TURN_MS = 2500; // time to turn the head before the second
  var SIDE = 640;

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }
  function frame(video) {
    var scale = Math.min(1, SIDE / Math.max(video.videoWidth, video.videoHeight));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("no frame")); }, "image/jpeg", 0.9);
    });
  }
  function put(input, blob, name) {
    var transfer = new DataTransfer();
    if (blob) transfer.items.add(new File([blob], name, { type: "image/jpeg" }));
    input.files = transfer.files;
  }
  function ready(video) {
    if (video.readyState >= 2 && video.videoWidth) return Promise.resolve();
    return new Promise(function (resolve) { video.addEventListener("loadeddata", resolve, { once: true }); });
  }

  function setUp(box) {
    var form = box.closest("form");
    var video = box.querySelector("[data-live-video]");
    var say = box.querySelector("[data-live-instruction]");
    var start = box.querySelector("[data-live-start]");
    var photo = form.querySelector("input[type=file][name=photo]");
    var turned = form.querySelector("[data-live-turned]");
    var preview = form.querySelector("[data-photo-preview]");
    box.hidden = false;
    // A photo chosen from a file replaces the live pair: no second frame goes with it.
    photo.addEventListener("change", function () { put(turned, null); box.dataset.state = "file"; });

    start.addEventListener("click", function () {
      var stream = null;
      start.disabled = true;
      box.dataset.state = "taking";
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false })
        .then(function (s) {
          stream = s;
          video.srcObject = stream;
          say.textContent = say.dataset.straight;
          return ready(video);
        })
        .then(function () { return wait(STRAIGHT_MS); })
        .then(function () { return frame(video); })
        .then(function (first) {
          say.textContent = say.dataset.turn;
          return wait(TURN_MS).then(function () { return frame(video); }).then(function (second) {
            put(photo, first, "selfie.jpg");
            put(turned, second, "selfie-turned.jpg");
            if (preview) { preview.src = URL.createObjectURL(first); preview.hidden = false; }
            say.textContent = say.dataset.done;
            box.dataset.state = "taken";
          });
        })
        .catch(function () {
          say.textContent = say.dataset.failed;
          box.dataset.state = "failed";
        })
        .then(function () {
          if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
          video.srcObject = null;
          start.disabled = false;
        });
    });
  }

  function setUpAll(root) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.DataTransfer) return;
    root.querySelectorAll("[data-live-selfie]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      setUp(box);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  // A refused check-in answered in place (htmx) brings a new form with a new challenge: set it up too.
  document.addEventListener("htmx:load", function (event) { setUpAll(event.detail.elt); });
})();
