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

// Behaviour wired by data-* attributes: the pages carry no inline script or on*= handler (the
// Content-Security-Policy allows scripts from the site's own files only).
// <select data-autosubmit> submits its form when changed; <input type=checkbox data-select-all> ticks every
// row checkbox (input[name=pk]) of its table.
document.addEventListener("change", function (evt) {
  var el = evt.target;
  if (!el.matches) return;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  if (el.matches("input[type=checkbox][data-select-all]")) {
    var scope = el.closest("table") || document;
    scope.querySelectorAll("input[name=pk]").forEach(function (box) { box.checked = el.checked; });
  }
});

// Widths computed on the server (progress bars): data-tx-width="<percent>", set through the CSS object model,
// on the first load and on every piece of page htmx swaps in.
function txApplyWidths(root) {
  var els = root.querySelectorAll ? root.querySelectorAll("[data-tx-width]") : [];
  if (root.matches && root.matches("[data-tx-width]")) els = [root].concat(Array.prototype.slice.call(els));
  Array.prototype.forEach.call(els, function (el) {
    var pct = Math.max(0, Math.min(100, parseFloat(el.dataset.txWidth) || 0));
    el.style.width = pct + "%";
  });
}
if (window.htmx) htmx.onLoad(txApplyWidths); else document.addEventListener("DOMContentLoaded", function () { txApplyWidths(document); });

// The three screens of the event report (cases/report.html): category → photo and description → place, with
// the duplicates nearby loaded on the last screen and the phone's position on request.
(function () {
  var form = document.getElementById("report-form");
  if (!form) return;
  var data = form.dataset;
  function loadDuplicates() {
    var cat = form.querySelector("input[name=category]:checked");
    var params = new URLSearchParams({
      category: cat ? cat.value : "", community: form.community.value,
      latitude: form.latitude.value, longitude: form.longitude.value, address: form.address.value
    });
    if (window.htmx) htmx.ajax("GET", data.duplicatesUrl + "?" + params.toString(), {target: "#duplicates", swap: "innerHTML"});
  }
  function show(n) {
    form.querySelectorAll(".report-screen").forEach(function (s) { s.classList.toggle("d-none", s.dataset.screen !== String(n)); });
    if (String(n) === "3") loadDuplicates();
    window.scrollTo(0, 0);
  }
  // Each screen is checked before moving on (the server checks everything again): a category on the first,
  // a description on the second; the message shows in the screen's [data-step-error] box.
  function problem(screen) {
    if (screen === "1" && !form.querySelector("input[name=category]:checked")) return data.msgNeedCategory;
    if (screen === "2" && !form.description.value.trim()) return data.msgNeedDescription;
    return "";
  }
  form.querySelectorAll("[data-next]").forEach(function (b) {
    b.addEventListener("click", function () {
      var section = b.closest(".report-screen"), here = section.dataset.screen;
      var box = section.querySelector("[data-step-error]");
      var msg = Number(b.dataset.next) > Number(here) ? problem(here) : "";
      if (box) { box.textContent = msg; box.classList.toggle("d-none", !msg); if (msg) box.scrollIntoView({block: "center"}); }
      if (!msg) show(b.dataset.next);
    });
  });
  form.addEventListener("change", function (evt) {
    var box = evt.target.closest(".report-screen") && evt.target.closest(".report-screen").querySelector("[data-step-error]");
    if (box && !problem(evt.target.closest(".report-screen").dataset.screen)) box.classList.add("d-none");
  });
  form.address.addEventListener("change", loadDuplicates);
  document.getElementById("locate").addEventListener("click", function () {
    var status = document.getElementById("locate-status");
    if (!navigator.geolocation) { status.textContent = data.msgNoGeolocation; return; }
    status.textContent = data.msgLocating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.latitude.value = pos.coords.latitude.toFixed(6);
      form.longitude.value = pos.coords.longitude.toFixed(6);
      status.textContent = data.msgLocated + " " + form.latitude.value + ", " + form.longitude.value + " (±" + Math.round(pos.coords.accuracy) + " m)";
      loadDuplicates();
    }, function () { status.textContent = data.msgLocateFailed; }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
  if (data.startScreen) show(data.startScreen);
})();

// ---- Suggestion inputs (core.forms.SuggestInput) ---------------------------------------------------------------
// A filter with too many choices for a <select> (a county's groups, grids, party branches, meetings, assignees) is
// an <input data-suggest="<filter>" list="<datalist id>">. As the user types, its datalist is filled from the list
// page's ?suggest=<filter>&q=<text> (JSON {results: [{value, label}]}, scoped, at most 20); picking an option puts
// its key in the input, which the form sends as the <select> did. Without this script a typed name or code works.
(function () {
  var timers = {};
  document.addEventListener("input", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("input[data-suggest]")) return;
    var text = input.value.trim();
    if (!text || /^\d+$/.test(text)) return; // a key (a picked option) needs no suggestions
    clearTimeout(timers[input.id]);
    timers[input.id] = setTimeout(function () {
      var url = new URL(window.location.pathname, window.location.origin);
      url.searchParams.set("suggest", input.dataset.suggest);
      url.searchParams.set("q", text);
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) {
          var json = r.ok && (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          return json ? r.json() : {results: []};
        })
        .then(function (data) {
          var list = document.getElementById(input.getAttribute("list"));
          if (!list || input.value.trim() !== text) return; // the user typed on meanwhile
          list.innerHTML = "";
          (data.results || []).forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.value;
            option.textContent = item.label;
            option.label = item.label;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 200);
  });
})();
// ---- end of suggestion inputs ------------------------------------------------------------------------------------
