/* Drag and drop of questions in the survey editor, as progressive enhancement: the page works without it
   (each question has Move up / Move down buttons, usable by keyboard). A drop submits the question's own
   move form (the same POST as the buttons) with two more fields, to_page and to_position, so the server
   places it in one step and the editor comes back at the question's anchor. Also points the side preview
   at the page of the item the address names (#q-..., #s-...). No framework, no inline script (CSP). */
(function () {
  "use strict";

  function moveForm(item) {
    return item.querySelector('form[action*="/move/"]');
  }

  function clearMarks() {
    document.querySelectorAll(".drop-before, .drop-after, .drop-end").forEach(function (el) {
      el.classList.remove("drop-before", "drop-after", "drop-end");
    });
  }

  function dropPlace(list, event, dragged) {
    // Where in `list` the question would land: before or after the box under the pointer, else at the end.
    var items = Array.prototype.filter.call(list.children, function (li) {
      return li.classList.contains("question-box") && li !== dragged;
    });
    var target = event.target.closest ? event.target.closest(".question-box") : null;
    if (!target || target === dragged || target.parentNode !== list) {
      return { position: items.length, mark: list, cls: "drop-end" };
    }
    var box = target.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    return { position: items.indexOf(target) + (after ? 1 : 0), mark: target, cls: after ? "drop-after" : "drop-before" };
  }

  function setUp() {
    var dragged = null;
    document.querySelectorAll(".questions[data-page] > .question-box").forEach(function (item) {
      if (!moveForm(item)) { return; }  // the only question of the survey cannot move
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        item.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.getAttribute("data-question"));
      });
      item.addEventListener("dragend", function () {
        item.classList.remove("dragging");
        clearMarks();
        dragged = null;
      });
    });
    document.querySelectorAll(".questions[data-page]").forEach(function (list) {
      list.addEventListener("dragover", function (event) {
        if (!dragged) { return; }
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        clearMarks();
        var place = dropPlace(list, event, dragged);
        place.mark.classList.add(place.cls);
      });
      list.addEventListener("dragleave", function (event) {
        if (!list.contains(event.relatedTarget)) { clearMarks(); }
      });
      list.addEventListener("drop", function (event) {
        if (!dragged) { return; }
        event.preventDefault();
        var place = dropPlace(list, event, dragged);
        var form = moveForm(dragged);
        clearMarks();
        [["to_page", list.getAttribute("data-page")], ["to_position", String(place.position)]].forEach(function (pair) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = pair[0];
          input.value = pair[1];
          form.appendChild(input);
        });
        form.submit();
      });
    });
  }

  function followHash() {
    // The side preview shows the page holding the item the address points at (after a move or an edit).
    var frame = document.getElementById("side-preview");
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    var page = target && target.closest ? target.closest(".page-box[data-preview]") : null;
    if (frame && page && frame.getAttribute("src") !== page.getAttribute("data-preview")) {
      frame.setAttribute("src", page.getAttribute("data-preview"));
    }
  }

  function start() {
    setUp();
    followHash();
    window.addEventListener("hashchange", followHash);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
