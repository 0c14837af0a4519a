// Starts Swagger UI on /api/docs/ from our own static files (no inline script, no CDN, no online validator).
(function () {
  "use strict";

  var SAFE = ["GET", "HEAD", "OPTIONS"];

  function start() {
    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") return;
    window.SwaggerUIBundle({
      url: root.dataset.schemaUrl,
      domNode: root,
      deepLinking: true,
      // The default would send the schema to an online validator: nothing may leave this site.
      validatorUrl: null,
      // "Try it out" runs as the signed-in user: send the session cookie and, for changes, the CSRF token.
      withCredentials: true,
      requestInterceptor: function (request) {
        if (SAFE.indexOf((request.method || "GET").toUpperCase()) === -1) {
          request.headers["X-CSRFToken"] = root.dataset.csrfToken;
        }
        return request;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
