/* The ERFlow group of the properties panel: what the engine reads from a diagram, editable without
 * XML — a user task's form files and region variable, a lane's role, a sequence flow's condition,
 * a script task's script, a call activity's process, a business-rule task's decision and a message
 * event's variable. Choices (forms, decisions, processes) come from the page (data attributes). */
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

import { ROLE_OPTIONS, choices } from './options';

const LOW_PRIORITY = 400;

function extension(bo, type) {
  const ext = bo.extensionElements;
  return ext ? (ext.get('values') || []).find((v) => is(v, type)) : undefined;
}

function ensureExtensions(element, bo, modeling, moddle) {
  let ext = bo.extensionElements;
  if (!ext) {
    ext = moddle.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  return ext;
}

export function getSpiffProperty(bo, name) {
  const props = extension(bo, 'spiffworkflow:Properties');
  const prop = props && (props.get('properties') || []).find((p) => p.name === name);
  return prop ? prop.value || '' : '';
}

export function setSpiffProperty(element, name, value, modeling, moddle) {
  const bo = getBusinessObject(element);
  const ext = ensureExtensions(element, bo, modeling, moddle);
  let props = extension(bo, 'spiffworkflow:Properties');
  if (!props) {
    props = moddle.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: ext.get('values').concat([props]) });
  }
  const list = props.get('properties') || [];
  const prop = list.find((p) => p.name === name);
  if (!value) {
    if (prop) {
      modeling.updateModdleProperties(element, props, { properties: list.filter((p) => p !== prop) });
    }
    return;
  }
  if (prop) {
    modeling.updateModdleProperties(element, prop, { value });
  } else {
    const created = moddle.create('spiffworkflow:Property', { name, value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { properties: list.concat([created]) });
  }
}

function getBody(bo, type) {
  const node = extension(bo, type);
  return node ? node.value || '' : '';
}

function setBody(element, bo, type, value, modeling, moddle) {
  const ext = ensureExtensions(element, bo, modeling, moddle);
  const node = extension(bo, type);
  if (node) {
    if (value) {
      modeling.updateModdleProperties(element, node, { value });
    } else {
      modeling.updateModdleProperties(element, ext, {
        values: ext.get('values').filter((v) => v !== node)
      });
    }
  } else if (value) {
    const created = moddle.create(type, { value });
    created.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: ext.get('values').concat([created]) });
  }
}

function withEmpty(options, translate) {
  return [{ value: '', label: translate('<none>') }].concat(options);
}

/* -- entry components ------------------------------------------------------------------------- */


// A select's choices from `source`, keeping the element's current value even when the source no
// longer lists it (a removed form file must still show, not silently blank out).
function optionsWith(current, source, translate) {
  const values = choices(source);
  if (current && values.indexOf(current) < 0) values.push(current);
  return withEmpty(values.map((v) => ({ value: v, label: v })), translate);
}

function SpiffPropertySelect(props) {
  const { element, id, name, label, source, description } = props;
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const translate = useService('translate');
  const bo = getBusinessObject(element);
  return jsx(SelectEntry, {
    element,
    id,
    label: translate(label),
    description: description ? translate(description) : undefined,
    getValue: () => getSpiffProperty(bo, name),
    setValue: (value) => setSpiffProperty(element, name, value, modeling, moddle),
    getOptions: () => optionsWith(getSpiffProperty(bo, name), source, translate)
  });
}

function SpiffPropertyText(props) {
  const { element, id, name, label, description } = props;
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return jsx(TextFieldEntry, {
    element,
    id,
    label: translate(label),
    description: description ? translate(description) : undefined,
    debounce,
    getValue: () => getSpiffProperty(bo, name),
    setValue: (value) => setSpiffProperty(element, name, (value || '').trim(), modeling, moddle)
  });
}

function LaneRole(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const translate = useService('translate');
  return jsx(SelectEntry, {
    element,
    id,
    label: translate('Role'),
    description: translate('Tasks in this lane go to users holding this role'),
    getValue: () => getBusinessObject(element).name || '',
    setValue: (value) => modeling.updateLabel(element, value),
    getOptions: () => {
      const current = getBusinessObject(element).name || '';
      const options = ROLE_OPTIONS.map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` }));
      if (current && !ROLE_OPTIONS.some((r) => r.code === current)) {
        options.push({ value: current, label: current });
      }
      return withEmpty(options, translate);
    }
  });
}

function ConditionExpression(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element,
    id,
    label: translate('Condition (Python expression)'),
    description: translate('e.g. decision == "approve"'),
    debounce,
    monospace: true,
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      const body = (value || '').trim();
      const expr = body ? moddle.create('bpmn:FormalExpression', { body }) : undefined;
      if (expr) expr.$parent = bo;
      modeling.updateProperties(element, { conditionExpression: expr });
    }
  });
}

function ScriptBody(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = getBusinessObject(element);
  return jsx(TextAreaEntry, {
    element,
    id,
    label: translate('Script (Python)'),
    description: translate('Available: Decimal, working_days_after(), period_end(), deadline(), now()'),
    debounce,
    monospace: true,
    rows: 8,
    getValue: () => bo.script || '',
    setValue: (value) => modeling.updateProperties(element, { scriptFormat: 'python', script: value || '' })
  });
}

function CalledElement(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const translate = useService('translate');
  const bo = getBusinessObject(element);
  return jsx(SelectEntry, {
    element,
    id,
    label: translate('Called process'),
    getValue: () => bo.calledElement || '',
    setValue: (value) => modeling.updateProperties(element, { calledElement: value || undefined }),
    getOptions: () => {
      const values = choices('processes');
      if (bo.calledElement && values.indexOf(bo.calledElement) < 0) values.push(bo.calledElement);
      return withEmpty(values.map((v) => ({ value: v, label: v })), translate);
    }
  });
}

function BodySelect(props) {
  const { element, id, type, label, source, target } = props;
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const translate = useService('translate');
  const bo = target ? target(element) : getBusinessObject(element);
  return jsx(SelectEntry, {
    element,
    id,
    label: translate(label),
    getValue: () => getBody(bo, type),
    setValue: (value) => setBody(element, bo, type, value, modeling, moddle),
    getOptions: () => optionsWith(getBody(bo, type), source, translate)
  });
}

function BodyText(props) {
  const { element, id, type, label, target } = props;
  const modeling = useService('modeling');
  const moddle = useService('moddle');
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const bo = target ? target(element) : getBusinessObject(element);
  return jsx(TextFieldEntry, {
    element,
    id,
    label: translate(label),
    debounce,
    getValue: () => getBody(bo, type),
    setValue: (value) => setBody(element, bo, type, (value || '').trim(), modeling, moddle)
  });
}

function messageDefinition(element) {
  return (getBusinessObject(element).eventDefinitions || []).find((d) => is(d, 'bpmn:MessageEventDefinition'));
}

/* -- the provider ------------------------------------------------------------------------------ */

function entries(element) {
  const bo = getBusinessObject(element);
  const out = [];
  if (is(element, 'bpmn:UserTask')) {
    out.push(
      { id: 'erflow-form', component: SpiffPropertySelect, name: 'formJsonSchemaFilename',
        label: 'Form (JSON Schema)', source: 'schemaForms', isEdited: isSelectEntryEdited },
      { id: 'erflow-form-ui', component: SpiffPropertySelect, name: 'formUiSchemaFilename',
        label: 'Form layout (UI)', source: 'uiForms', isEdited: isSelectEntryEdited },
      { id: 'erflow-region-var', component: SpiffPropertyText, name: 'candidateRegionVar',
        label: 'Region variable',
        description: 'Task data variable naming the bureau region (default: the handling region)',
        isEdited: isTextFieldEntryEdited }
    );
  }
  if (is(element, 'bpmn:Lane')) {
    out.push({ id: 'erflow-lane-role', component: LaneRole, isEdited: isSelectEntryEdited });
  }
  if (is(element, 'bpmn:SequenceFlow') && bo.sourceRef &&
      (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'))) {
    out.push({ id: 'erflow-condition', component: ConditionExpression, isEdited: isTextAreaEntryEdited });
  }
  if (is(element, 'bpmn:ScriptTask')) {
    out.push({ id: 'erflow-script', component: ScriptBody, isEdited: isTextAreaEntryEdited });
  }
  if (is(element, 'bpmn:CallActivity')) {
    out.push({ id: 'erflow-called-element', component: CalledElement, isEdited: isSelectEntryEdited });
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    out.push({ id: 'erflow-decision', component: BodySelect, type: 'spiffworkflow:CalledDecisionId',
      label: 'Decision table', source: 'decisions', isEdited: isSelectEntryEdited });
  }
  if (messageDefinition(element)) {
    out.push({ id: 'erflow-message-variable', component: BodyText,
      type: 'spiffworkflow:MessageVariable', label: 'Message variable', target: messageDefinition,
      isEdited: isTextFieldEntryEdited });
  }
  return out;
}

function ErflowPropertiesProvider(propertiesPanel, translate) {
  this._translate = translate;
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

ErflowPropertiesProvider.prototype.getGroups = function (element) {
  const translate = this._translate;
  return function (groups) {
    const list = entries(element);
    if (list.length) {
      groups.splice(1, 0, { id: 'erflow', label: translate('ERFlow settings'), entries: list });
    }
    return groups;
  };
};

ErflowPropertiesProvider.$inject = ['propertiesPanel', 'translate'];

export default {
  __init__: ['erflowPropertiesProvider'],
  erflowPropertiesProvider: ['type', ErflowPropertiesProvider]
};
