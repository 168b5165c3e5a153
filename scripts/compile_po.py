"""Compile one catalogue: `python scripts/compile_po.py messages.po messages.mo` (used by make).

Like `pybabel compile -i … -o …`, except that a fuzzy *header* does not skip the whole catalogue:
`pybabel init` marks new catalogues' headers fuzzy, and the translations would then silently
vanish. Fuzzy *messages* stay out, as usual. Errors (e.g. mismatched %(name)s placeholders) fail.
"""
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def main(source: str, target: str) -> int:
    with open(source, "rb") as fh:
        catalog = read_po(fh)
    problems = [
        f"{source}:{message.lineno}: {error}"
        for message, errors in catalog.check()
        for error in errors
    ]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    with open(target, "wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
