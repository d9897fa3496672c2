// Tongxin dashboards: draws every chart of the page with the vendored Apache ECharts (static/vendor/echarts).
//
// Each chart is a <figure data-chart-box> holding a JSON spec (<script type="application/json">, written by
// core.dashboard and Django's json_script: data, not code, so the Content-Security-Policy is kept), an empty
// [data-chart] box to draw in and the same figures as a table. Without scripts the table is what is seen; here
// the chart replaces it, a 表格 button switches back, a 图片 button downloads a PNG, and clicking a bar, slice or
// point opens the filtered list behind it (the spec's urls). Spec: {type: pie|bar|pyramid|bar_line, unit,
// categories: [...], series: [{name, values: [...], urls: [...], unit?, line?}]}.
(function () {
  "use strict";
  if (!window.echarts) return;

  var charts = [];
  var narrow = function () { return window.matchMedia("(max-width: 575.98px)").matches; };
  var abs = function (v) { return v == null ? "—" : Math.abs(v); };

  function options(spec) {
    var base = {
      aria: {enabled: true},
      animationDuration: 300,
      // the tooltip is drawn on the canvas (richText): an HTML tooltip writes style attributes, which the
      // Content-Security-Policy (style-src 'self') refuses
      tooltip: {trigger: spec.type === "pie" ? "item" : "axis", confine: true, renderMode: "richText"},
      grid: {left: 8, right: 16, top: spec.type === "bar_line" ? 56 : spec.series.length > 1 ? 36 : 16, bottom: 8,
        containLabel: true},
      legend: spec.series.length > 1 ? {top: 0} : undefined
    };
    if (spec.type === "pie") {
      var s = spec.series[0];
      if (narrow()) base.legend = {type: "scroll", bottom: 0};  // a phone: names in the legend, not around
      base.series = [{
        type: "pie", name: s.name, radius: narrow() ? ["30%", "60%"] : ["35%", "65%"], avoidLabelOverlap: true,
        center: ["50%", narrow() ? "45%" : "50%"], labelLine: {show: !narrow()},
        label: {show: !narrow(), formatter: "{b}\n{c}（{d}%）"}, minShowLabelAngle: 6,
        data: spec.categories.map(function (name, i) { return {name: name, value: s.values[i]}; })
      }];
      return base;
    }
    if (spec.type === "pyramid") {
      base.tooltip.formatter = function (items) {
        return items[0].axisValueLabel + "\n" + items.map(function (p) {
          return p.marker + p.seriesName + "：" + abs(p.value);
        }).join("\n");
      };
      base.xAxis = {type: "value", axisLabel: {formatter: abs}};
      base.yAxis = {type: "category", data: spec.categories, axisTick: {show: false}};
      base.series = spec.series.map(function (s, i) {
        return {
          type: "bar", name: s.name, stack: "pyramid", barCategoryGap: "15%",
          label: {show: true, position: i === 0 ? "left" : "right", formatter: function (p) { return abs(p.value) || ""; }},
          data: s.values.map(function (v) { return i === 0 ? -v : v; })
        };
      });
      return base;
    }
    if (spec.type === "bar_line") {
      base.xAxis = {type: "category", data: spec.categories};
      base.yAxis = [{type: "value", name: spec.unit, minInterval: 1}, {type: "value", name: "%", min: 0, max: 100}];
      base.series = spec.series.map(function (s) {
        return s.line
          ? {type: "line", name: s.name, yAxisIndex: 1, data: s.values, connectNulls: false, symbolSize: 8}
          : {type: "bar", name: s.name, data: s.values};
      });
      return base;
    }
    // bars: horizontal when the names are many or long (communities, grids), so that a phone can read them
    var horizontal = spec.categories.length > 6 || narrow();
    var cat = {type: "category", data: spec.categories, axisTick: {show: false}, inverse: horizontal};
    var val = {type: "value", minInterval: spec.unit === "%" ? 0 : 1, max: spec.unit === "%" ? 100 : null};
    base.xAxis = horizontal ? val : cat;
    base.yAxis = horizontal ? cat : val;
    base.series = spec.series.map(function (s) {
      return {type: "bar", name: s.name, data: s.values,
        label: {show: spec.series.length === 1, position: horizontal ? "right" : "top"}};
    });
    return base;
  }

  function height(spec) {
    var n = spec.categories.length;
    if (spec.type === "pie") return 300;
    if (spec.type === "pyramid") return Math.max(220, 36 * n + 60);
    if (spec.type === "bar_line") return 320;
    if (n > 6 || narrow()) return Math.max(200, 28 * n * Math.max(1, spec.series.length * 0.7) + 60);
    return 300;
  }

  function draw(box) {
    var holder = box.querySelector("[data-chart]");
    var source = holder && document.getElementById(holder.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var table = box.querySelector(".tx-chart-table");
    holder.classList.remove("d-none");
    holder.style.height = height(spec) + "px";
    table.classList.add("d-none");
    var chart = echarts.init(holder, null, {renderer: "canvas"});
    chart.setOption(options(spec));
    chart.on("click", function (p) {
      var s = spec.series[p.seriesIndex];
      var url = s && s.urls && s.urls[p.dataIndex];
      if (url) window.location.href = url;
    });
    charts.push(chart);

    var toggle = box.querySelector("[data-chart-toggle]");
    toggle.classList.remove("d-none");
    toggle.addEventListener("click", function () {
      var showTable = table.classList.contains("d-none");
      table.classList.toggle("d-none", !showTable);
      holder.classList.toggle("d-none", showTable);
      toggle.setAttribute("aria-pressed", showTable ? "true" : "false");
      toggle.querySelector("span").textContent = showTable ? toggle.dataset.labelChart : toggle.dataset.labelTable;
      if (!showTable) chart.resize();
    });

    var png = box.querySelector("[data-chart-png]");
    png.classList.remove("d-none");
    png.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = chart.getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
      link.download = (png.dataset.name || "chart") + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  document.querySelectorAll("[data-chart-box]").forEach(draw);
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
