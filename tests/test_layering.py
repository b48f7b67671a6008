"""Dependencies point one way (docs/architecture.md): checked on every module's imports.

    api (Flask)   cli (argparse)        thin front ends: parse, call one use case, answer
         \\           /
          services                       the use cases, framework-free
         /    |     \\
   planning routing  gis ── localdb      pure algorithms | database access and loaders
         \\    |     /
      formats, demo, rescuecircle        pure parsing, the demo generator, the shared base
"""

import ast
from pathlib import Path

import pytest

from rescuecircle.paths import PROJECT_ROOT

PACKAGES = ("rescuecircle", "localdb", "formats", "demo", "routing", "planning", "gis",
            "services", "cli", "api")
DATABASE = ("sqlalchemy", "psycopg", "psycopg2", "geoalchemy2")
WEB = ("flask", "werkzeug", "pygeoapi", "waitress", "gunicorn")
MAX_MODULE_LINES = 500

# package -> imports it must not make (prefixes), and the exceptions it may make
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rescuecircle": (("localdb", "formats", "demo", "routing", "planning", "gis", "services",
                      "cli", "api", *WEB), ()),
    "localdb": (("formats", "demo", "routing", "planning", "gis", "services", "cli", "api",
                 *WEB), ()),
    "formats": (("localdb", "demo", "routing", "planning", "gis", "services", "cli", "api",
                 *DATABASE, *WEB), ("routing.arrays",)),
    "demo": (("localdb", "routing", "planning", "gis", "services", "cli", "api", *DATABASE,
              *WEB), ()),
    "routing": (("localdb", "demo", "planning", "gis", "services", "cli", "api", *DATABASE,
                 *WEB), ()),
    "planning": (("localdb", "demo", "gis", "services", "cli", "api", *DATABASE, *WEB), ()),
    "gis": (("localdb", "routing", "planning", "services", "cli", "api", *WEB),
            ("routing.arrays", "planning.inputs")),
    "services": (("localdb", "cli", "api", *WEB), ()),
    "cli": (("api", *WEB), ()),
    "api": (("localdb", "cli"), ()),
}


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (imports inside functions count too)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _modules(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def test_every_package_has_a_rule():
    on_disk = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py")} - {"tests"}
    assert on_disk == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_its_layer_allows(package):
    forbidden, allowed = RULES[package]
    offences = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in _modules(package)
        for name in imports_of(path)
        if _matches(name, forbidden) and not _matches(name, allowed)
    ]
    assert offences == []


@pytest.mark.parametrize(("library", "home"), [("flask", "api"), ("argparse", "cli")])
def test_framework_imported_only_by_its_front_end(library, home):
    offences = [
        f"{path.relative_to(PROJECT_ROOT)} imports {library}"
        for package in PACKAGES if package != home
        for path in _modules(package)
        if any(_matches(name, (library,)) for name in imports_of(path))
    ]
    assert offences == []


def test_no_module_is_over_the_size_limit():
    too_long = [
        f"{path.relative_to(PROJECT_ROOT)}: {lines} lines"
        for package in PACKAGES
        for path in _modules(package)
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert too_long == []
