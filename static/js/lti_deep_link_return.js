// The content picker's answer: post the signed choice back to the LMS at once (the button does it without JS).
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("lti-deep-link-return");
    if (form) form.submit();
  });
})();
