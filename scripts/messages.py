"""The translation catalogs: find every message in the code and templates, keep the .po files in step,
compile them to .mo.

    python scripts/messages.py update    # add new messages to locale/<lang>/LC_MESSAGES/django.po (developers)
    python scripts/messages.py compile   # write the .mo files (make run, make test and the image do this)
    python scripts/messages.py check     # exit 1 if a message has no translation (CI runs it as a test)

Pure Python (polib and Django's own template-to-gettext conversion): no GNU gettext on the machine.
The messages are what Django's makemessages would find: calls of gettext and its kin with literal strings
in Python, and {% translate %} / {% blocktranslate %} in templates.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["accounts", "attendance", "adminpanel", "attn_site", "lti", "templates"]
LOCALE = ROOT / "locale"
LANGUAGES = ["tr"]  # English is the source language: its msgids are the text

# name → (index of the context argument or None, index of the singular, index of the plural or None)
FUNCTIONS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "pgettext_noop": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


class Message:
    def __init__(self, msgid: str, plural: str | None, context: str | None, where: str):
        self.msgid, self.plural, self.context, self.where = msgid, plural, context, [where]

    @property
    def key(self) -> tuple[str | None, str]:
        return self.context, self.msgid


def _calls(tree: ast.AST, where: str, *, line: bool = True):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in FUNCTIONS:
            continue
        context_at, singular_at, plural_at = FUNCTIONS[name]
        msgid = _literal(node.args, singular_at)
        if msgid:
            plural, context = _literal(node.args, plural_at), _literal(node.args, context_at)
            yield Message(msgid, plural, context, f"{where}:{node.lineno}" if line else where)


def _literal(args: list[ast.expr], index: int | None) -> str | None:
    """A call's argument when it is a literal string (what a catalog can hold)."""
    if index is None or index >= len(args):
        return None
    arg = args[index]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def _python_messages(path: Path):
    yield from _calls(ast.parse(path.read_text(), str(path)), str(path.relative_to(ROOT)))


# templatize quotes a message with '…', or with "…" when it holds an apostrophe ("Each slot's session"):
# a pattern of single quotes only left those out of the catalog, untranslated and unnoticed.
_STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(rf"\b(?:n?p?gettext)\((?:{_STRING}(?:,\s*)?)+(?:\s*,\s*\w+)?\)")


def _template_messages(path: Path):
    from django.utils.translation.template import templatize

    code = templatize(path.read_text(), origin=str(path))
    for lineno, line in enumerate(code.splitlines(), 1):
        for match in _TEMPLATE_CALL.finditer(line):
            call = re.sub(r"""(\(|,\s*)u(['"])""", r"\1\2", match.group(0))
            yield from _calls(ast.parse(call), f"{path.relative_to(ROOT)}:{lineno}", line=False)


def extract() -> dict[tuple[str | None, str], Message]:
    """Every message of the project's code and templates, by (context, msgid)."""
    found: dict[tuple[str | None, str], Message] = {}
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*")):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            if path.suffix == ".py":
                messages = _python_messages(path)
            elif path.suffix in (".html", ".txt"):
                messages = _template_messages(path)
            else:
                continue
            for message in messages:
                if message.key in found:
                    found[message.key].where += message.where
                else:
                    found[message.key] = message
    return found


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def update() -> None:
    import polib

    messages = extract()
    for language in LANGUAGES:
        path = po_path(language)
        catalog = polib.pofile(str(path), wrapwidth=120) if path.exists() else _new_catalog(language)
        existing = {(entry.msgctxt, entry.msgid): entry for entry in catalog}
        for key, message in messages.items():
            entry = existing.get(key)
            if entry is None:
                entry = polib.POEntry(msgid=message.msgid, msgctxt=message.context, msgstr="")
                if message.plural:
                    entry.msgid_plural, entry.msgstr, entry.msgstr_plural = message.plural, "", {0: "", 1: ""}
                catalog.append(entry)
            entry.obsolete = False
            entry.occurrences = [tuple(where.rsplit(":", 1)) for where in message.where[:5]]
            formatted = "%(" in message.msgid or "%s" in message.msgid or "%d" in message.msgid
            if formatted and "python-format" not in entry.flags:
                entry.flags.append("python-format")
        for key, entry in existing.items():
            if key not in messages:
                entry.obsolete = True
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog.save(str(path))
        print(
            f"{path.relative_to(ROOT)}: {len(messages)} messages, {len(untranslated(catalog, messages))} to translate"
        )


def _new_catalog(language: str):
    import polib

    catalog = polib.POFile(wrapwidth=120)
    catalog.metadata = {
        "Project-Id-Version": "ATTN",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    return catalog


def untranslated(catalog, messages) -> list[str]:
    """The messages the catalog lacks, leaves empty or fuzzy, or whose placeholders differ from the msgid's."""
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalog if not entry.obsolete}
    problems = []
    for key, message in messages.items():
        entry = entries.get(key)
        if entry is None:
            problems.append(f"{message.where[0]}: no translation for {message.msgid!r}")
            continue
        texts = list((entry.msgstr_plural or {}).values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(texts):
            problems.append(f"{message.where[0]}: no translation for {message.msgid!r}")
            continue
        wanted = set(re.findall(r"%\(\w+\)[sd]", message.msgid + (message.plural or "")))
        for text in texts:
            if set(re.findall(r"%\(\w+\)[sd]", text)) - wanted or (
                not message.plural and wanted - set(re.findall(r"%\(\w+\)[sd]", text))
            ):
                problems.append(f"{message.where[0]}: placeholders of {message.msgid!r} differ in {text!r}")
    return problems


def compile_catalogs() -> None:
    """Write each .mo next to its .po when the .po is newer (cheap to call on every start)."""
    import polib

    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))


def check() -> int:
    import polib

    messages = extract()
    problems = [p for language in LANGUAGES for p in untranslated(polib.pofile(str(po_path(language))), messages)]
    print("\n".join(problems) or f"{len(messages)} messages, all translated")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    command = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if command in ("update", "check"):
        import os

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attn_site.settings")
        django.setup()
    if command == "update":
        update()
    elif command == "compile":
        compile_catalogs()
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(__doc__)
