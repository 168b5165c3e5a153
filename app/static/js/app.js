/* ERFlow page glue shared by every page (loaded by base.html). The CSP allows no inline script, so
 * behaviour is declared with data attributes:
 *   <form data-confirm="确定要撤销吗？">            asks before submitting
 *   <select data-autosubmit>                        submits its form on change
 *   <a href="#" data-back>                          goes back in history
 * and scripts call ERFlow.fetchJSON(url, {method, body}) which sends the page's CSRF token.
 */
(function () {
  'use strict';

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function fetchJSON(url, options) {
    options = options || {};
    var headers = Object.assign({ 'Accept': 'application/json' }, options.headers || {});
    var init = { method: options.method || 'GET', headers: headers, credentials: 'same-origin' };
    if (init.method !== 'GET') {
      headers['X-CSRFToken'] = csrfToken();
    }
    if (options.body !== undefined) {
      headers['Content-Type'] = headers['Content-Type'] || 'application/json';
      init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.error && data.error.message) || response.statusText);
          error.status = response.status;
          error.body = data;
          throw error;
        }
        return data;
      });
    });
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener('change', function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute('data-autosubmit') && field.form) {
      field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
    }
  });

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('[data-back]');
    if (link) {
      event.preventDefault();
      window.history.back();
    }
  });

  window.ERFlow = Object.assign(window.ERFlow || {}, { csrfToken: csrfToken, fetchJSON: fetchJSON });
})();
