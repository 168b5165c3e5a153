"""Engine errors other code may catch."""

from __future__ import annotations

from app.errors import ValidationFailed


class DeployError(ValidationFailed):
    """A diagram refused at deploy (422): `file`, `line`, `reason` and `element_id` say where and
    why."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        element_id: str | None = None,
    ):
        where = file or ""
        if line:
            where += f" 第 {line} 行"
        if element_id:
            where += f"（元素 {element_id}）"
        message = f"{where}：{reason}" if where else reason
        fields: dict[str, list[str]] = {"reason": [reason]}
        if file:
            fields["file"] = [file]
        if line:
            fields["line"] = [str(line)]
        if element_id:
            fields["element_id"] = [element_id]
        super().__init__(message, fields=fields)
        self.file, self.line, self.reason, self.element_id = file, line, reason, element_id
