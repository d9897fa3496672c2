// Tongxin: small progressive enhancements (HTMX does the rest).
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.createElement("div");
  box.className = "alert alert-danger m-2";
  box.textContent = "请求失败（" + evt.detail.xhr.status + "），请稍后重试。";
  document.querySelector("main").prepend(box);
});
