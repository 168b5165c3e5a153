/* bpmn-js translate service with the Chinese dictionary (the page's language decides). */
import zh from './zh';

const extra = {
  'ERFlow settings': 'ERFlow 设置',
  'Form (JSON Schema)': '表单（JSON Schema）',
  'Form layout (UI)': '表单布局（UI）',
  'Region variable': '区域变量',
  'Task data variable naming the bureau region (default: the handling region)':
    '指定办理机关所在区域的任务数据变量（缺省为受理区域）',
  'Role': '角色',
  'Tasks in this lane go to users holding this role': '此泳道中的任务分派给具有该角色的用户',
  'Condition (Python expression)': '条件（Python 表达式）',
  'e.g. decision == "approve"': '例如 decision == "approve"',
  'Script (Python)': '脚本（Python）',
  'Available: Decimal, working_days_after(), period_end(), deadline(), now()':
    '可用：Decimal、working_days_after()、period_end()、deadline()、now()',
  'Called process': '被调用的流程',
  'Decision table': '决策表',
  'Message variable': '消息变量'
};

export default function makeTranslate(language) {
  const chinese = (language || '').toLowerCase().indexOf('zh') === 0;
  function translate(template, replacements) {
    replacements = replacements || {};
    let text = template;
    if (chinese) text = extra[template] || zh[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
  }
  return { translate: ['value', translate] };
}
