/* Choices the page offers the properties panel (data attributes of #modeler, JSON arrays). */
const FALLBACK_ROLES = {
  handler: '经办人', reviewer: '复核人', approver: '审批人', enterprise: '排污单位',
  superior_reviewer: '上级复核人', admin: '管理员'
};

function roleNames() {
  return (window.ERFlow && window.ERFlow.roleNames) || FALLBACK_ROLES;
}

export const ROLE_OPTIONS = Object.keys(FALLBACK_ROLES)
  .filter((code) => code !== 'admin')
  .map((code) => ({ code, name: roleNames()[code] || code }));

export function choices(source) {
  const holder = document.getElementById('modeler');
  const raw = holder && holder.dataset[source];
  if (!raw) return [];
  try {
    const value = JSON.parse(raw);
    return Array.isArray(value) ? value.slice() : [];
  } catch (e) {
    return [];
  }
}
