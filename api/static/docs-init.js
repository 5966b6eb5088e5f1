// Starts Swagger UI on /api/v1/docs (api/templates/swagger_ui.html). A static file, not an inline script:
// the Content-Security-Policy allows only this site's script files.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui-container",
    validatorUrl: null
  });
});
