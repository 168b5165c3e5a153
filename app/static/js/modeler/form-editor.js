/* Form editor: re-render the preview (server-side, by the inbox macros) while the JSON is typed. */
(function () {
  'use strict';

  function init() {
    var form = document.getElementById('form-editor');
    if (!form) return;
    var preview = document.getElementById('form-preview');
    var status = document.getElementById('form-preview-status');
    var timer = null;
    var seq = 0;

    function refresh() {
      var mine = ++seq;
      var body = new URLSearchParams();
      body.set('schema', form.elements.schema.value);
      body.set('ui', form.elements.ui.value);
      fetch(form.getAttribute('data-preview-url'), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRFToken': window.ERFlow.csrfToken(), 'Accept': 'text/html' },
        body: body
      }).then(function (response) {
        return response.text().then(function (html) {
          if (mine !== seq) return;
          if (response.ok) {
            // server-rendered by the inbox macros, every value escaped there
            preview.innerHTML = html;
            status.textContent = '';
            preview.setAttribute('data-state', 'ready');
          } else {
            var doc = new DOMParser().parseFromString(html, 'text/html');
            var message = doc.querySelector('main') ? doc.querySelector('main').textContent : html;
            status.textContent = message.trim().slice(0, 500);
            preview.setAttribute('data-state', 'error');
          }
        });
      });
    }

    form.addEventListener('input', function (event) {
      if (event.target.name !== 'schema' && event.target.name !== 'ui') return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
