/* cxreport HTML report: sortable tables (docs/html-report.md).
   Tables marked class="sortable" get a button in each column header; a click sorts the
   rows by that column, a second click reverses. Numbers sort as numbers in the report's
   own format (U+2212 minus, %, "pts", thousands separators, intervals by their centre);
   missing figures (an em dash) sort last either way; ties keep their original order.
   Rows marked class="sort-pin" (totals, averages) stay at the bottom. Without JavaScript
   the table simply stays in its printed order. No eval, no inline handlers, no network:
   the page's Content-Security-Policy allows this script by its hash and nothing else.
   Keep this file ASCII and free of the closing script tag. */
(function () {
  "use strict";
  var doc = document;
  var script = doc.currentScript;
  var lang = doc.documentElement.getAttribute("lang") || undefined;

  // How the report writes 1234567.5 with one decimal tells its separators.
  var sample = (script && script.getAttribute("data-number-sample")) || "1,234,567.5";
  var parts = /^1(\D*)234\1567(\D)5$/.exec(sample);
  var group = parts ? parts[1] : ",";
  var decimal = parts ? parts[2] : ".";

  function quote(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  var groupRe = group === "" ? "" : (/^\s$/.test(group) ? "[\\s\\u00a0\\u202f]" : quote(group));
  var NUM = "[+\\-\\u2212]?\\d+" + (groupRe ? "(?:" + groupRe + "\\d{3})*" : "") +
            "(?:" + quote(decimal) + "\\d+)?";
  var single = new RegExp("^(" + NUM + ")$");
  var interval = new RegExp("^(" + NUM + ")\\s+\\S+\\s+(" + NUM + ")$");
  var missing = /^[\u2014\u2013\-]?$/;
  // Significance arrows, small-base asterisk, flag, plus-minus, percent sign, "pts".
  var decoration = /[\u25b2\u25bc\u2691*\u00b1%]|\bpts\b/g;

  var collator;
  try { collator = new Intl.Collator(lang, { numeric: true, sensitivity: "base" }); }
  catch (e) { collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" }); }

  function toNumber(text) {
    var plain = text.replace(groupRe ? new RegExp(groupRe, "g") : /(?!)/g, "")
                    .replace(decimal, ".").replace("\u2212", "-");
    return parseFloat(plain);
  }

  function text(cell) { return (cell.textContent || "").replace(/\s+/g, " ").trim(); }

  // A cell's sort key: {missing}, {num} or {str}. A cell whose printed form does not sort
  // (a date written out in words) carries its key in data-sort (an ISO date).
  function key(cell) {
    var given = cell.getAttribute("data-sort");
    if (given) { return { str: given }; }
    var raw = text(cell);
    if (missing.test(raw)) { return { missing: true }; }
    var bare = raw.replace(decoration, "").replace(/\s+/g, " ").trim();
    var m = single.exec(bare);
    if (m) { return { num: toNumber(m[1]), str: raw }; }
    m = interval.exec(bare);
    if (m) { return { num: (toNumber(m[1]) + toNumber(m[2])) / 2, str: raw }; }
    return { str: raw };
  }

  function setUp(table) {
    var head = table.tHead;
    var body = table.tBodies[0];
    if (!head || !body || head.rows.length !== 1 || table.tBodies.length !== 1) { return; }
    var headers = Array.prototype.slice.call(head.rows[0].cells);
    var rows = Array.prototype.slice.call(body.rows);
    var data = rows.filter(function (r) { return !r.classList.contains("sort-pin"); });
    var pinned = rows.filter(function (r) { return r.classList.contains("sort-pin"); });
    var regular = data.every(function (r) {
      return r.cells.length === headers.length &&
        Array.prototype.every.call(r.cells, function (c) { return c.colSpan === 1 && c.rowSpan === 1; });
    });
    if (!regular || data.length < 2) { return; }

    var columns = headers.map(function (th, col) {
      var keys = data.map(function (r) { return key(r.cells[col]); });
      var present = keys.filter(function (k) { return !k.missing; });
      var numeric = present.length > 0 && present.every(function (k) { return k.num !== undefined; });
      return { keys: keys, numeric: numeric };
    });
    var current = -1, direction = 0;

    function sort(col, dir) {
      var column = columns[col];
      var order = data.map(function (r, i) { return i; });
      order.sort(function (a, b) {
        var ka = column.keys[a], kb = column.keys[b];
        if (ka.missing || kb.missing) {
          if (ka.missing && kb.missing) { return a - b; }
          return ka.missing ? 1 : -1;
        }
        var c = column.numeric ? ka.num - kb.num : collator.compare(ka.str, kb.str);
        return c !== 0 ? c * dir : a - b;
      });
      order.forEach(function (i) { body.appendChild(data[i]); });
      pinned.forEach(function (r) { body.appendChild(r); });
      headers.forEach(function (th, i) {
        if (i === col) { th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending"); }
        else { th.removeAttribute("aria-sort"); }
      });
      current = col;
      direction = dir;
    }

    headers.forEach(function (th, col) {
      var button = doc.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        // Numbers: largest first; text: A to Z first. The same header again reverses.
        var first = columns[col].numeric ? -1 : 1;
        sort(col, col === current ? -direction : first);
      });
    });
    table.classList.add("sort-ready");
  }

  Array.prototype.forEach.call(doc.querySelectorAll("table.sortable"), setUp);
}());
