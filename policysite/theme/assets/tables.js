/* policysite: a wide table becomes a labelled scroll region (progressive enhancement).

   Every table in a page's text sits in a .table-wrapper that scrolls sideways
   (CSS alone, so it works without JavaScript). Only a wrapper whose table is
   wider than it gets tabindex, role="region" and a label, so keyboard users can
   scroll it and screen readers hear what it is; a table that fits stays out of
   the tab order. Checked again when the window changes size. The label's words
   come from the theme's strings, through the script element's data attributes. */
(function () {
  "use strict";
  var script = document.currentScript;
  var pattern = (script && script.getAttribute("data-label")) || "{caption} (scrolls sideways)";
  var fallback = (script && script.getAttribute("data-table")) || "Table";

  function update(wrapper) {
    var table = wrapper.querySelector("table");
    if (!table) { return; }
    if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
      var caption = table.caption ? table.caption.textContent.trim() : "";
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      wrapper.setAttribute("aria-label", pattern.replace("{caption}", caption || fallback));
    } else {
      wrapper.removeAttribute("tabindex");
      wrapper.removeAttribute("role");
      wrapper.removeAttribute("aria-label");
    }
  }

  var wrappers = Array.prototype.slice.call(document.querySelectorAll(".table-wrapper"));
  function updateAll() { wrappers.forEach(update); }
  updateAll();
  var timer;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(updateAll, 100);
  });
})();
