// Tongxin: small progressive enhancements (HTMX does the rest).
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.createElement("div");
  box.className = "alert alert-danger m-2";
  box.textContent = "请求失败（" + evt.detail.xhr.status + "），请稍后重试。";
  document.querySelector("main").prepend(box);
});

// Photos are shrunk in the browser before the upload on every form that takes them (a weak signal on a cheap
// phone): each file input with data-shrink="<longest side in px>" re-encodes its photos as JPEG (quality 0.8)
// when that makes them smaller, and shows thumbnails in its [data-preview-for=<input id>] box, or one it adds.
document.addEventListener("change", function (evt) {
  var input = evt.target;
  if (!input.matches || !input.matches("input[type=file][data-shrink]")) return;
  var side = parseInt(input.dataset.shrink, 10) || 1600;
  var preview = input.id && document.querySelector('[data-preview-for="' + input.id + '"]');
  if (!preview) {
    preview = input.nextElementSibling && input.nextElementSibling.classList.contains("tx-photo-preview")
      ? input.nextElementSibling : document.createElement("div");
    preview.className = "tx-photo-preview d-flex flex-wrap gap-2 my-2";
    if (!preview.parentNode) input.insertAdjacentElement("afterend", preview);
  }
  preview.innerHTML = "";
  var files = Array.prototype.slice.call(input.files);
  if (!files.length || !window.DataTransfer || !window.createImageBitmap) return;
  var out = new DataTransfer(), pending = files.length, shrunk = new Array(files.length);
  function done() { shrunk.forEach(function (f) { out.items.add(f); }); input.files = out.files; }
  files.forEach(function (file, i) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { shrunk[i] = file; if (--pending === 0) done(); return; }
    createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, side / Math.max(bmp.width, bmp.height));
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * scale); c.height = Math.round(bmp.height * scale);
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      c.toBlob(function (blob) {
        var small = blob && blob.size < file.size ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", {type: "image/jpeg"}) : file;
        shrunk[i] = small;
        var img = document.createElement("img");
        img.src = URL.createObjectURL(small); img.style.maxHeight = "80px"; img.className = "rounded border";
        preview.appendChild(img);
        if (--pending === 0) done();
      }, "image/jpeg", 0.8);
    }).catch(function () { shrunk[i] = file; if (--pending === 0) done(); });
  });
});
