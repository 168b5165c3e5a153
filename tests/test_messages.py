"""Messages people read are translatable (app/errors.py): a domain error raised, or a page flash,
never carries Chinese text as a plain literal or f-string — it is `_l("…%(name)s…", name=…)` (or
`_()`), so English pages and API callers asking for English read it from a catalogue."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}
# Programming errors (a script function's ValueError becomes an administrator's incident with its
# traceback) and command-line errors are not messages a page shows.
NOT_SHOWN = {name for name, value in vars(builtins).items()
             if isinstance(value, type) and issubclass(value, BaseException)} | {"ClickException"}
# Known and being converted elsewhere: (path, literal) — any other Chinese literal still fails.
PENDING: set[tuple[str, str]] = set()


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """DomainError and every class anywhere in app/ deriving from it, by name."""
    names = {"DomainError"}
    classes = [node for tree in trees.values() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            if node.name not in names and any(_name(b) in names for b in node.bases):
                names.add(node.name)
                grew = True
    return names


def _hard_coded(node: ast.AST) -> list[ast.AST]:
    """Chinese literals and f-strings under `node` that no gettext call wraps (a gettext call's
    msgid is fine; its params are checked like anything else)."""
    if isinstance(node, ast.Call) and _name(node.func) in GETTEXT:
        found = []
        for arg in [*node.args[1:], *(k.value for k in node.keywords)]:
            found += _hard_coded(arg)
        return found
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node] if CJK.search(node.value) else []
    if isinstance(node, ast.JoinedStr):
        parts = [v for v in node.values if isinstance(v, ast.Constant)]
        return [node] if any(CJK.search(str(v.value)) for v in parts) else []
    found = []
    for child in ast.iter_child_nodes(node):
        found += _hard_coded(child)
    return found


def _offences(trees: dict[Path, ast.Module]) -> list[str]:
    errors = _error_classes(trees)
    out = []
    for path, tree in trees.items():
        checked: list[ast.AST] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                if isinstance(node.exc, ast.Call) and _name(node.exc.func) in NOT_SHOWN:
                    continue
                checked.append(node.exc)  # also helpers that build the error: raise _error(…)
            elif isinstance(node, ast.Call) and _name(node.func) in errors | {"flash"}:
                checked.append(node)
        seen: set[int] = set()
        for expr in checked:
            for literal in _hard_coded(expr):
                where, text = str(path.relative_to(APP.parent)), ast.unparse(literal)[:80]
                if id(literal) not in seen and (where, text) not in PENDING:
                    seen.add(id(literal))
                    out.append(f"{where}:{literal.lineno}: {text}")
    return sorted(out)


def _parse(source: str) -> dict[Path, ast.Module]:
    return {APP / "example.py": ast.parse(source)}


def test_no_domain_error_or_flash_carries_hard_coded_chinese():
    trees = {p: ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
             for p in sorted(APP.rglob("*.py"))}
    offences = _offences(trees)
    assert not offences, (
        "wrap these in _l(\"…%(name)s…\", name=…) and add English to "
        "app/<domain>/translations/en/LC_MESSAGES/messages.po:\n" + "\n".join(offences))


def test_the_check_sees_literals_f_strings_fields_subclasses_and_flash():
    source = '''
class DomainError(Exception): ...
class Refusal(DomainError): ...
def f(x):
    raise Refusal("地区不存在")
def g(x):
    raise Refusal(_l("成交价低于 %(p)s 元", p=x), fields={"price": [f"低于 {x}"]})
def h(x):
    flash(f"已保存 {x}")
    flash(_("Saved"))
    raise Refusal(_l("成交价低于 %(p)s 元", p=x))
def k(doc):
    raise make_error(doc, "流程没有结束事件")
def m(x):
    raise ValueError(f"调解结果有误 {x}")
'''
    lines = [o.split(":")[1] for o in _offences(_parse(source))]
    assert lines == ["13", "5", "7", "9"]
