// The LMS's frame: go on with the login when this browser keeps cookies here, else offer a new window.
(function () {
  function keepsCookies() {
    var secure = location.protocol === "https:" ? "; SameSite=None; Secure" : "";
    document.cookie = "attn_lti_check=1; path=/; max-age=60" + secure;
    var kept = document.cookie.indexOf("attn_lti_check=1") !== -1;
    document.cookie = "attn_lti_check=; path=/; max-age=0" + secure;
    return kept;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("lti-check");
    if (!box) return;
    var framed = window.top !== window.self;
    if (!framed || keepsCookies()) {
      window.location.replace(box.dataset.proceed);
      return;
    }
    document.getElementById("lti-checking").hidden = true;
    document.getElementById("lti-blocked").hidden = false;
  });
})();
