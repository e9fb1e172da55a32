// Starts Swagger UI on /swagger (api/docs_assets.py). A file rather than an inline script, so
// that the page's Content-Security-Policy allows scripts from this origin only.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    deepLinking: true,
    // The plain layout: no top bar with a box to load another document (the standalone preset).
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Never load a document named in the page's address (?url=...): only this API's.
    queryConfigEnabled: false,
    validatorUrl: null,
  });
});
