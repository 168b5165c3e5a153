/* The decision-table editor page (dmn-js Modeler, vendor UMD): load the DMN, deploy it with a reason.
 * #dmn-editor gets data-state="ready" once shown; window.ERFlow.dmnModeler is the dmn-js Modeler. */
(function () {
  'use strict';

  function status(message, kind) {
    var box = document.getElementById('dmn-status');
    box.className = 'alert alert-' + (kind || 'info') + ' mb-2';
    box.textContent = message;
    box.hidden = !message;
  }

  function init() {
    var holder = document.getElementById('dmn-editor');
    if (!holder || !window.DmnJS) return;
    var modeler = new window.DmnJS({ container: '#dmn-canvas' });
    window.ERFlow = Object.assign(window.ERFlow || {}, { dmnModeler: modeler });
    fetch(holder.getAttribute('data-xml-url'), { credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error(r.status + ' ' + r.statusText); return r.text(); })
      .then(function (xml) { return modeler.importXML(xml); })
      .then(function () {
        var table = modeler.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
        if (table) return modeler.open(table);
      })
      .then(function () { holder.setAttribute('data-state', 'ready'); })
      .catch(function (error) {
        holder.setAttribute('data-state', 'error');
        status(String(error.message || error), 'danger');
      });

    holder.addEventListener('click', function (event) {
      var button = event.target.closest && event.target.closest('[data-dmn-action=deploy]');
      if (!button) return;
      var reason = document.getElementById('dmn-reason');
      if (!reason.value.trim()) {
        reason.classList.add('is-invalid');
        reason.focus();
        status(holder.getAttribute('data-msg-reason'), 'warning');
        return;
      }
      reason.classList.remove('is-invalid');
      button.disabled = true;
      modeler.saveXML({ format: true })
        .then(function (result) {
          return window.ERFlow.fetchJSON(holder.getAttribute('data-deploy-url'), {
            method: 'POST', body: { xml: result.xml, comment: reason.value }
          });
        })
        .then(function (body) {
          var text = body.versions.map(function (v) { return v.key + ' v' + v.version; }).join('、');
          holder.setAttribute('data-deployed', text);
          status(holder.getAttribute('data-msg-deployed').replace('{versions}', text), 'success');
        })
        .catch(function (error) {
          var fields = (error.body && error.body.error && error.body.error.fields) || {};
          var reasonText = (fields.reason && fields.reason[0]) || error.message;
          status(holder.getAttribute('data-msg-refused') + ': ' + reasonText, 'danger');
        })
        .then(function () { button.disabled = false; });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
