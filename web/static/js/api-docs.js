// Starts Swagger UI on the API docs page (a file, not inline, so the page's CSP needs no exception).
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null, // never call out to the public validator: nothing leaves our origin
    deepLinking: true
  });
})();
