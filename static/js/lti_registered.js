// Dynamic registration done: ask the LMS's registration page to close this frame (LTI Dynamic Registration 1.0).
(function () {
  if (window.parent !== window.self) {
    window.parent.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
