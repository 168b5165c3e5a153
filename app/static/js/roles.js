/* Role codes stored as lane names, shown with their Chinese names in every diagram (viewer and
 * modeler). The diagram keeps the code (the engine assigns tasks by it); only the label changes.
 *   ERFlow.roleNames            { handler: '经办人', … }
 *   ERFlow.relabelLanes(diagram) rewrites the lane labels of a bpmn-js Viewer or Modeler
 */
(function () {
  'use strict';

  var ROLE_NAMES = {
    handler: '经办人',
    reviewer: '复核人',
    approver: '审批人',
    enterprise: '排污单位',
    superior_reviewer: '上级复核人',
    admin: '管理员'
  };

  function relabelLanes(diagram) {
    var registry = diagram.get('elementRegistry');
    registry.filter(function (e) { return e.type === 'bpmn:Lane'; }).forEach(function (lane) {
      var code = lane.businessObject && lane.businessObject.name;
      var label = ROLE_NAMES[code];
      var gfx = registry.getGraphics(lane);
      var text = gfx && gfx.querySelector('.djs-visual text');
      if (!label || !text) return;
      var spans = text.querySelectorAll('tspan');
      if (spans.length) {
        spans[0].textContent = label;
        for (var i = 1; i < spans.length; i++) spans[i].textContent = '';
      } else {
        text.textContent = label;
      }
      text.setAttribute('data-role', code);
    });
  }

  window.ERFlow = Object.assign(window.ERFlow || {}, {
    roleNames: ROLE_NAMES,
    relabelLanes: relabelLanes
  });
})();
