// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var socketHolder = document.querySelector("[data-notifications-socket]");
    var counter = document.querySelector("[data-unread-count]");
    if (socketHolder && counter && "WebSocket" in window) {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var unread = 0;
      var show = function () {
        counter.textContent = String(unread);
        counter.hidden = unread === 0;
      };
      try {
        var socket = new WebSocket(scheme + window.location.host + socketHolder.dataset.notificationsSocket);
        socket.addEventListener("message", function (event) {
          var data = JSON.parse(event.data);
          if (data.type === "hello") { unread = data.unread; }
          if (data.type === "notification") { unread += 1; }
          if (data.type === "unread") { unread = data.unread; }
          show();
        });
      } catch (e) { /* live updates are optional */ }
    }
  });
})();
