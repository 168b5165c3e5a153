/* Shows a BPMN diagram read-only and highlights an instance's steps (completed, active, incident).
 *
 * Markup (the page also loads vendor/bpmn-js/bpmn-navigated-viewer.production.min.js before this file
 * and the css vendor/bpmn-js/assets/{diagram-js.css,bpmn-js.css,bpmn-font/css/bpmn.css}):
 *   <div class="erflow-diagram" data-bpmn-viewer
 *        data-xml-url="{{ url_for(…) }}"                  BPMN XML, fetched from the same origin
 *        data-completed='{{ completed_ids|tojson }}'      element ids (JSON array), optional
 *        data-active='{{ active_ids|tojson }}'            optional
 *        data-incident='{{ incident_ids|tojson }}'        optional
 *        data-added / data-changed / data-removed         optional (version differences)
 *        aria-label="{{ _('Process diagram') }}"></div>
 * The element gets data-state="ready" (or "error") when done, which browser tests wait for.
 * Lanes store role codes; they are labelled with the Chinese role names of js/roles.js (loaded on
 * demand from next to this file when the page did not include it).
 */
(function () {
  'use strict';

  var MARKERS = {
    completed: 'erflow-completed', active: 'erflow-active', incident: 'erflow-incident',
    added: 'erflow-added', changed: 'erflow-changed', removed: 'erflow-removed'  // version diffs
  };
  var STYLE = [
    '.erflow-diagram { height: 28rem; border: 1px solid #dee2e6; border-radius: .375rem; background: #fff; }',
    '.erflow-completed:not(.djs-connection) .djs-visual > :nth-child(1) { fill: #d1e7dd !important; stroke: #198754 !important; }',
    '.erflow-completed.djs-connection .djs-visual > path { stroke: #198754 !important; }',
    '.erflow-active .djs-visual > :nth-child(1) { fill: #fff3cd !important; stroke: #fd7e14 !important; stroke-width: 3px !important; }',
    '.erflow-incident .djs-visual > :nth-child(1) { fill: #f8d7da !important; stroke: #dc3545 !important; stroke-width: 3px !important; }'
  ].join('\n');

  function addStyle() {
    if (document.getElementById('erflow-bpmn-style')) return;
    var style = document.createElement('style');
    style.id = 'erflow-bpmn-style';
    style.textContent = STYLE;
    document.head.appendChild(style);
  }

  var here = document.currentScript && document.currentScript.src;
  var rolesLoaded = new Promise(function (resolve) {
    if ((window.ERFlow && window.ERFlow.relabelLanes) || !here) return resolve();
    var script = document.createElement('script');
    script.src = here.replace(/bpmn-view\.js(\?.*)?$/, 'roles.js');
    script.onload = script.onerror = function () { resolve(); };
    document.head.appendChild(script);
  });

  function ids(element, name) {
    var raw = element.getAttribute('data-' + name);
    if (!raw) return [];
    try { return JSON.parse(raw) || []; } catch (e) { return []; }
  }

  function show(element) {
    var Viewer = window.BpmnJS;
    if (!Viewer) {
      element.setAttribute('data-state', 'error');
      element.textContent = 'bpmn-js is not loaded';
      return Promise.resolve();
    }
    var viewer = new Viewer({ container: element });
    return fetch(element.getAttribute('data-xml-url'), { credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        Object.keys(MARKERS).forEach(function (state) {
          ids(element, state).forEach(function (id) {
            if (registry.get(id)) canvas.addMarker(id, MARKERS[state]);
          });
        });
        canvas.zoom('fit-viewport');
        return rolesLoaded.then(function () {
          if (window.ERFlow && window.ERFlow.relabelLanes) window.ERFlow.relabelLanes(viewer);
        });
      })
      .then(function () {
        element.setAttribute('data-state', 'ready');
        element.bpmnViewer = viewer;
      })
      .catch(function (error) {
        element.setAttribute('data-state', 'error');
        element.insertAdjacentText('afterbegin', String(error && error.message || error));
      });
  }

  function init() {
    addStyle();
    document.querySelectorAll('[data-bpmn-viewer]').forEach(show);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
  window.ERFlow = Object.assign(window.ERFlow || {}, { showDiagram: show });
})();
