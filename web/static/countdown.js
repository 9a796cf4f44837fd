// Live countdowns: <time class="countdown" datetime="2026-03-02T04:00:00+00:00">until 04:00 UTC</time>
// gains "· 1 h 52 min left", kept current, including in fragments htmx swaps in later.
(function () {
  "use strict";

  function left(milliseconds) {
    if (milliseconds <= 0) return "time is up";
    var minutes = Math.ceil(milliseconds / 60000);
    if (minutes < 60) return minutes + " min left";
    var hours = Math.floor(minutes / 60);
    return hours + " h " + (minutes % 60) + " min left";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown[datetime]").forEach(function (element) {
      if (!element.dataset.said) {
        element.dataset.said = element.textContent;
        // Inside a live region, a screen reader would otherwise read the time out every 15 seconds.
        element.setAttribute("aria-live", "off");
      }
      var ends = Date.parse(element.getAttribute("datetime"));
      if (isNaN(ends)) return;
      element.textContent = element.dataset.said + " · " + left(ends - now);
      element.classList.toggle("countdown-ended", ends <= now);
    });
  }

  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:load", tick);
  setInterval(tick, 15000);
})();
