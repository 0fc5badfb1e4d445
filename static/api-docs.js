// The API reference at /docs: Swagger UI (vendored in static/vendor/swagger-ui, loaded by a
// classic script before this module runs) over the server's own OpenAPI document. Nothing
// is fetched from another host: no validator badge, no remote configuration.

const root = document.getElementById("swagger-ui");

window.ui = window.SwaggerUIBundle({
  url: root.dataset.openapi,
  domNode: root,
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  presets: [window.SwaggerUIBundle.presets.apis],
});
