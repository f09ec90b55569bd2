// Live timeline: the page works without this; with it, status changes appear as the ministry makes them.
(function () {
  "use strict";
  var timeline = document.getElementById("timeline");
  if (!timeline || !window.EventSource) { return; }
  var number = timeline.getAttribute("data-tracking-number");
  var status = document.getElementById("current-status");
  var announcer = document.getElementById("live-announcer");
  var labels = {};
  var template = document.getElementById("status-labels");
  if (template) {
    template.content.querySelectorAll("span").forEach(function (span) { labels[span.dataset.key] = span.textContent; });
  }
  // The server writes times with Babel (shared/formats.py); the browser's ICU writes the same CLDR format here:
  // Muscat time, Latin digits, the page's language.
  var lang = document.documentElement.lang === "en" ? "en-AE" : "ar-OM";
  var clock = window.Intl ? new Intl.DateTimeFormat(lang, {timeZone: "Asia/Muscat", numberingSystem: "latn",
    day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit"}) : null;
  function shown(at) {
    var moment = new Date(at);
    return clock && !isNaN(moment.getTime()) ? clock.format(moment) : String(at);
  }
  var note = document.getElementById("live-note");
  if (note) { note.hidden = false; }
  var source = new EventSource("/api/v1/requests/" + encodeURIComponent(number) + "/events");
  source.addEventListener("status", function (message) {
    var update = JSON.parse(message.data);
    var label = labels[update.status] || update.status;
    if (status.getAttribute("data-status") !== update.status) {
      status.textContent = label;
      status.setAttribute("data-status", update.status);
      status.className = "status status-" + update.status;
      announcer.textContent = label;
    }
    if (update.initial) { return; }
    // Answering the ministry and rating are forms the server draws: say that a reload brings them.
    var reload = document.getElementById("reload-notice");
    if (reload && (update.status === "action_required" || update.status === "completed")) { reload.hidden = false; }
    var item = document.createElement("li");
    item.className = "fresh";
    var strong = document.createElement("strong");
    strong.textContent = label;
    item.appendChild(strong);
    item.appendChild(document.createTextNode(" — "));
    var time = document.createElement("time");
    time.setAttribute("datetime", update.at);
    time.textContent = shown(update.at);
    item.appendChild(time);
    if (update.note) {
      item.appendChild(document.createElement("br"));
      item.appendChild(document.createTextNode(update.note));
    }
    timeline.insertBefore(item, timeline.firstChild);
  });
  window.addEventListener("pagehide", function () { source.close(); });
}());
