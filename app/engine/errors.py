"""Engine errors other code may catch."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.errors import Text, ValidationFailed, source_text


class DeployError(ValidationFailed):
    """A diagram refused at deploy (422): `file`, `line`, `reason` and `element_id` say where and
    why."""

    def __init__(
        self,
        reason: Text,
        *,
        file: str | None = None,
        line: int | None = None,
        element_id: str | None = None,
    ):
        where: Text = file or ""
        if line:
            where = _l("%(where)s 第 %(line)s 行", where=where, line=line)
        if element_id:
            where = _l("%(where)s（元素 %(element)s）", where=where, element=element_id)
        located = bool(file or line or element_id)
        message = _l("%(where)s：%(reason)s", where=where, reason=reason) if located else reason
        fields: dict[str, list[Text]] = {"reason": [reason]}
        if file:
            fields["file"] = [file]
        if line:
            fields["line"] = [str(line)]
        if element_id:
            fields["element_id"] = [element_id]
        super().__init__(message, fields=fields)
        self.file, self.line, self.element_id = file, line, element_id
        self.reason = source_text(reason)
