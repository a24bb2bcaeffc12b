"""The docs name what is there: docs/ARCHITECTURE.md's module map and README's layout follow the tree."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "adminpanel", "attendance", "attn_site", "lti")
LUA = ROOT / "attendance" / "live" / "lua"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
README = ROOT / "README.md"

# A path with at least one folder, ending in .py or .lua ("attendance/live/checkins.py").
NAMED_PATH = re.compile(r"(?<![\w./-])((?:[\w-]+/)+[\w-]+\.(?:py|lua))(?![\w/])")


def modules() -> set[str]:
    """The apps' Python modules and the live store's Lua scripts, by path from the repository's root.

    Migrations and tests are left out, and so are empty ``__init__.py`` files (nothing to say about them).
    """
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            if path.name == "__init__.py" and not path.read_text(encoding="utf-8").strip():
                continue
            found.add(path.relative_to(ROOT).as_posix())
    return found | {path.relative_to(ROOT).as_posix() for path in LUA.glob("*.lua")}


def section(text: str, title: str) -> str:
    """A Markdown section's text: from its ``## title`` line to the next ``## `` heading."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_it_finds_the_modules():
    found = modules()
    assert {"attendance/live/checkins.py", "attendance/live/lua/check_in.lua", "attn_site/settings.py"} <= found
    assert not any("/tests/" in name or "/migrations/" in name for name in found)


def test_it_names_every_module_in_the_architecture():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = sorted(name for name in modules() if f"`{name}`" not in text)
    assert not missing, f"Add these to docs/ARCHITECTURE.md's module map, one line each: {missing}"


def test_it_names_only_paths_that_exist_in_the_architecture():
    named = set(NAMED_PATH.findall(ARCHITECTURE.read_text(encoding="utf-8")))
    gone = sorted(name for name in named if not (ROOT / name).is_file())
    assert named, "the pattern found no path at all"
    assert not gone, f"docs/ARCHITECTURE.md names files that are not there (renamed? removed?): {gone}"


def test_the_readme_layout_names_every_attendance_package():
    layout = section(README.read_text(encoding="utf-8"), "Layout")
    packages = sorted(
        path.parent.name for path in (ROOT / "attendance").glob("*/__init__.py") if path.parent.name != "migrations"
    )
    assert "tests" in packages and "live" in packages
    missing = [name for name in packages if f"attendance/{name}/" not in layout]
    assert not missing, f"README.md's Layout section does not name these packages: {missing}"
