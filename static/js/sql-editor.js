/* The SQL editor on the database and query pages: Datasette's CodeMirror start-up
   (from its inline _codemirror_foot.html), moved to a file for the CSP, with a label
   for screen readers and Tab left free to move focus (no keyboard trap). */
(function () {
  "use strict";
  function start() {
    var sqlFormat = document.querySelector("button#sql-format");
    var readOnly = document.querySelector("pre#sql-query");
    var sqlInput = document.querySelector("textarea#sql-editor");
    var canFormat = typeof window.sqlFormatter !== "undefined";
    if (sqlFormat && !readOnly && canFormat) {
      sqlFormat.hidden = false;
    }
    if (sqlInput && typeof window.CodeMirror !== "undefined") {
      var editor = window.CodeMirror.fromTextArea(sqlInput, {
        lineNumbers: true,
        mode: "text/x-sql",
        lineWrapping: true,
        screenReaderLabel: "SQL query"
      });
      editor.setOption("extraKeys", {
        "Shift-Enter": function () {
          sqlInput.form.submit();
        },
        Tab: false,
        "Shift-Tab": false
      });
      if (sqlFormat && canFormat) {
        sqlFormat.addEventListener("click", function () {
          editor.setValue(window.sqlFormatter.format(editor.getValue()));
        });
      }
      if (typeof window.cmResize === "function") {
        window.cmResize(editor, { resizableWidth: false });
      }
    }
    if (sqlFormat && readOnly && canFormat) {
      var formatted = window.sqlFormatter.format(readOnly.textContent);
      if (formatted !== readOnly.textContent) {
        sqlFormat.hidden = false;
        sqlFormat.addEventListener("click", function () {
          readOnly.textContent = formatted;
        });
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
