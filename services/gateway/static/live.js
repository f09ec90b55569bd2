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
  // The server writes times with Babel (shared/formats.py); the browser's ICU writes the same CLDR formats here
  // (the long date, then the short time): Muscat time, Latin digits, the page's language.
  var english = document.documentElement.lang === "en";
  var options = {timeZone: "Asia/Muscat", numberingSystem: "latn"};
  var day = window.Intl && new Intl.DateTimeFormat(english ? "en-AE" : "ar-OM",
    Object.assign({day: "numeric", month: "long", year: "numeric"}, options));
  var clock = window.Intl && new Intl.DateTimeFormat(english ? "en-AE" : "ar-OM",
    Object.assign({hour: "numeric", minute: "2-digit"}, options));
  function shown(at) {
    var moment = new Date(at);
    if (!day || isNaN(moment.getTime())) { return String(at); }
    return day.format(moment) + (english ? ", " : "، ") + clock.format(moment);
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
