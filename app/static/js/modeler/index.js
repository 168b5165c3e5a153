/* The administrators' diagram editor (bundled by esbuild into vendor/modeler.bundle.js).
 *
 * Markup (admin/modeler.html):
 *   <div id="modeler" data-key data-xml-url data-validate-url data-draft-url data-deploy-url
 *        data-versions-url data-schema-forms data-ui-forms data-decisions data-processes>
 *     <div id="canvas"></div> <div id="properties"></div>
 *   </div>
 *   buttons [data-action=validate|draft|deploy|download], inputs #modeler-comment, #deploy-reason,
 *   and #modeler-status (messages; role=status).
 * The container gets data-state="ready" once the diagram is shown, and data-invalid-element=<id>
 * while an element is marked invalid (browser tests wait for these). window.ERFlow.modeler is the
 * bpmn-js Modeler.
 */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import spiffModdle from './spiffworkflow.json';
import erflowProvider from './provider';
import makeTranslate from './translate';

const INVALID = 'erflow-invalid';

function $(selector) {
  return document.querySelector(selector);
}

function status(message, kind) {
  const box = $('#modeler-status');
  if (!box) return;
  box.className = `alert alert-${kind || 'info'} mb-2`;
  box.textContent = message;
  box.hidden = !message;
}

function relabel(modeler) {
  if (window.ERFlow && window.ERFlow.relabelLanes) window.ERFlow.relabelLanes(modeler);
}

function clearInvalid(modeler, holder) {
  const previous = holder.getAttribute('data-invalid-element');
  if (!previous) return;
  const registry = modeler.get('elementRegistry');
  if (registry.get(previous)) modeler.get('canvas').removeMarker(previous, INVALID);
  modeler.get('overlays').remove({ type: INVALID });
  holder.removeAttribute('data-invalid-element');
}

function markInvalid(modeler, holder, elementId, reason) {
  clearInvalid(modeler, holder);
  const registry = modeler.get('elementRegistry');
  const element = registry.get(elementId);
  if (!element) return;
  modeler.get('canvas').addMarker(elementId, INVALID);
  const badge = document.createElement('div');
  badge.className = 'erflow-invalid-badge';
  badge.setAttribute('role', 'note');
  badge.textContent = reason;
  modeler.get('overlays').add(elementId, INVALID, { position: { top: -34, left: 0 }, html: badge });
  modeler.get('selection').select(element);
  modeler.get('canvas').scrollToElement(element);
  holder.setAttribute('data-invalid-element', elementId);
}

function showError(modeler, holder, error) {
  const fields = (error.body && error.body.error && error.body.error.fields) || {};
  const elementId = fields.element_id && fields.element_id[0];
  const reason = (fields.reason && fields.reason[0]) || error.message;
  if (elementId) markInvalid(modeler, holder, elementId, reason);
  const where = fields.line ? ` (${fields.line[0]})` : '';
  status(`${holder.dataset.msgRefused || 'Refused'}: ${reason}${where}`, 'danger');
}

async function currentXml(modeler) {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/xml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function init() {
  const holder = document.getElementById('modeler');
  if (!holder) return;
  const modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      erflowProvider,
      makeTranslate(document.documentElement.lang)
    ],
    moddleExtensions: { spiffworkflow: spiffModdle }
  });
  window.ERFlow = Object.assign(window.ERFlow || {}, { modeler });
  modeler.get('eventBus').on('elements.changed', 100, () => relabel(modeler));

  try {
    const response = await fetch(holder.dataset.xmlUrl, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    await modeler.importXML(await response.text());
    modeler.get('canvas').zoom('fit-viewport');
    relabel(modeler);
    holder.setAttribute('data-state', 'ready');
  } catch (error) {
    holder.setAttribute('data-state', 'error');
    status(String(error.message || error), 'danger');
    return;
  }

  const fetchJSON = window.ERFlow.fetchJSON;
  const comment = () => ($('#modeler-comment') ? $('#modeler-comment').value : '');

  async function run(button, work) {
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      showError(modeler, holder, error);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('[data-action]');
    if (!button || !holder.contains(button) && !button.closest('#modeler-toolbar')) return;
    const action = button.getAttribute('data-action');
    if (action === 'validate') {
      run(button, async () => {
        clearInvalid(modeler, holder);
        const body = await fetchJSON(holder.dataset.validateUrl, {
          method: 'POST', body: { xml: await currentXml(modeler) }
        });
        status(holder.dataset.msgValid.replace('{version}', body.version), 'success');
      });
    } else if (action === 'draft') {
      run(button, async () => {
        await fetchJSON(holder.dataset.draftUrl, {
          method: 'POST', body: { xml: await currentXml(modeler), comment: comment() }
        });
        status(holder.dataset.msgDraft, 'success');
      });
    } else if (action === 'deploy') {
      run(button, async () => {
        const reason = $('#deploy-reason');
        if (!reason.value.trim()) {
          reason.classList.add('is-invalid');
          reason.focus();
          status(holder.dataset.msgReason, 'warning');
          return;
        }
        reason.classList.remove('is-invalid');
        clearInvalid(modeler, holder);
        const body = await fetchJSON(holder.dataset.deployUrl, {
          method: 'POST', body: { xml: await currentXml(modeler), comment: reason.value }
        });
        holder.setAttribute('data-deployed-version', body.version);
        const message = body.changed ? holder.dataset.msgDeployed : holder.dataset.msgUnchanged;
        status(message.replace('{version}', body.version), 'success');
      });
    } else if (action === 'download') {
      run(button, async () => download(`${holder.dataset.key}.bpmn`, await currentXml(modeler)));
    }
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
