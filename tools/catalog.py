"""The French catalogue: extract the messages, update the .po files, compile the .mo, check it all.

The messages are extracted with Babel from the package (``_``, ``N_``, ``ngettext``) and from click, whose
own strings (« Usage », « Show this message and exit. ») the command line shows too. They are kept in one .po file
per area of the code, so that people translating different parts do not edit the same file, and compiled into one
catalogue each, ``ami_workflow/locale/fr/LC_MESSAGES/ami_workflow-<area>.mo``, which is committed (the library
chains them; click's is its own text domain, ``ami_workflow-click``)::

    python tools/catalog.py update    # add the new messages (empty) to their .po file, drop the vanished ones
    python tools/catalog.py compile   # write the .mo from the .po files (byte-for-byte reproducible)
    python tools/catalog.py check     # exit 1 on an untranslated or fuzzy message, or a stale .mo

tests/test_i18n.py runs ``check``'s function, so a message without its translation fails the tests.
"""

from __future__ import annotations

import ast
import io
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ami_workflow"
LOCALE = PACKAGE / "locale"
LANGUAGE = "fr"
#: A fixed date in the compiled header, so that compiling twice gives the same bytes.
_EPOCH = datetime(2021, 3, 8, tzinfo=UTC)

#: Which .po file holds the messages of which module (the first pattern that matches; ``core`` by default).
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cli", ("cli/",)),
    ("documents", ("notices.py", "notice_parts.py", "recovery_notices.py", "render.py", "document.py", "minutes.py")),
    ("reports", ("reports.py", "agenda.py", "sample.py", "demo.py", "exports.py", "rollover.py", "call_toml.py",
                 "qpv_csv.py", "scdl.py",
                 "sheets.py", "dossier_import.py")),
    ("store", ("store/", "backend.py", "memory.py", "batching.py", "journal.py", "anchor.py", "stored_chain.py",
               "audit.py", "issuing.py", "protocol.py", "campaign_ops.py", "dossier_ops.py", "personal.py",
               "jsontext.py", "canonical.py")),
)
CLICK = "click"


def area_of(filename: str) -> str:
    """The area of a module, from its path (``ami_workflow/guards.py``); ``core`` by default."""
    relative = filename.split("ami_workflow/", 1)[-1]
    for area, names in AREAS:
        if any(relative.startswith(n) if n.endswith("/") else relative == n for n in names):
            return area
    return "core"


def po_path(area: str) -> Path:
    return LOCALE / LANGUAGE / "LC_MESSAGES" / f"ami_workflow-{area}.po"


def mo_path(area: str) -> Path:
    return po_path(area).with_suffix(".mo")


def _extract(directory: Path, prefix: str) -> Iterable[tuple[str, int, str | tuple[str, ...], list[str]]]:
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(directory), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS, comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        yield f"{prefix}/{filename}", lineno, message, comments


def cli_help() -> Iterable[tuple[str, int, str]]:
    """The command line's help texts: each command's docstring and each ``help=`` (cli.app._translate_help)."""
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        yield from _help_of(path)


def _help_of(path: Path) -> Iterable[tuple[str, int, str]]:
    where = f"ami_workflow/cli/{path.name}"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("command", "group")
            for d in node.decorator_list
        ):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield where, node.lineno, doc
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "help" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    yield where, value.lineno, value.value


def templates() -> dict[str, Catalog]:
    """The messages that the code asks for, by area."""
    out: dict[str, Catalog] = {}
    cli = out.setdefault("cli", Catalog(domain="ami_workflow", fuzzy=False))
    for filename, lineno, text in cli_help():
        cli.add(text, locations=[(filename, lineno)])
    # click words the "[required]" of an option's help as _(extra["required"]): no extractor can see it.
    out.setdefault(CLICK, Catalog(domain="ami_workflow", fuzzy=False)).add(
        "required", locations=[("click/core.py", 0)], auto_comments=["Option.get_help_record: _(extra['required'])"])
    sources = [(PACKAGE, "ami_workflow"), (Path(click.__file__).parent, "click")]
    for directory, prefix in sources:
        for filename, lineno, message, comments in _extract(directory, prefix):
            area = CLICK if prefix == "click" else area_of(filename)
            catalog = out.setdefault(area, Catalog(domain="ami_workflow", fuzzy=False))
            flags = ("python-brace-format",) if _braced(message) else ()
            catalog.add(message, locations=[(filename, lineno)], auto_comments=comments, flags=flags)
    return out


def _braced(message: str | tuple[str, ...]) -> bool:
    text = message if isinstance(message, str) else " ".join(message)
    return "{" in text and "}" in text


def read(area: str) -> Catalog:
    path = po_path(area)
    if not path.exists():
        return Catalog(locale=LANGUAGE, domain="ami_workflow", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=LANGUAGE)


def update() -> None:
    """Bring every .po file in line with the code: new messages added empty, vanished ones dropped."""
    for area, template in sorted(templates().items()):
        catalog = read(area)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        path = po_path(area)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=120, sort_output=False, omit_header=False)


def compiled(area: str) -> bytes:
    """The .mo of an area's translations, with a fixed header (the same bytes every time)."""
    out = Catalog(locale=LANGUAGE, domain=f"ami_workflow-{area}", creation_date=_EPOCH, revision_date=_EPOCH,
                  fuzzy=False, project="ami_workflow", version="1")
    for message in read(area):
        if message.id and message.string and not message.fuzzy:
            out.add(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, out)
    return buffer.getvalue()


def areas() -> list[str]:
    return sorted(p.stem.removeprefix("ami_workflow-") for p in (LOCALE / LANGUAGE / "LC_MESSAGES").glob("*.po"))


def compile_mo() -> None:
    for area in areas():
        mo_path(area).write_bytes(compiled(area))


def problems() -> list[str]:
    """Every message of the code without a French translation, and a stale compiled catalogue."""
    found: list[str] = []
    for area, template in sorted(templates().items()):
        known = {m.id: m for m in read(area) if m.id}
        for message in template:
            if not message.id:
                continue
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            have = known.get(message.id)
            if have is None:
                found.append(f"{po_path(area).name}: not in the catalogue: {message.id!r} ({where})")
            elif not have.string or (isinstance(have.string, tuple) and not all(have.string)):
                found.append(f"{po_path(area).name}: untranslated: {message.id!r} ({where})")
            elif have.fuzzy:
                found.append(f"{po_path(area).name}: fuzzy: {message.id!r} ({where})")
    for area in areas():
        mo = mo_path(area)
        if not mo.exists() or mo.read_bytes() != compiled(area):
            found.append(f"{mo.relative_to(ROOT)} is not compiled from its .po: run python tools/catalog.py compile")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_mo()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
