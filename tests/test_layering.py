"""Dependencies point one way (docs/architecture.md): checked on every module's imports."""

import ast
from pathlib import Path

import pytest

from rescuecircle.paths import PROJECT_ROOT

# package -> imports it must not make (prefixes), and the exceptions it may make
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "routing": (("api", "gis", "planning", "flask", "sqlalchemy", "psycopg", "pygeoapi"),
                ("gis.network_arrays",)),
    "planning": (("api", "gis", "flask", "sqlalchemy", "psycopg", "pygeoapi"), ()),
    "gis": (("api", "routing", "planning", "flask", "pygeoapi"), ("planning.inputs",)),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_only_what_its_layer_allows(package):
    forbidden, allowed = RULES[package]
    offences = [
        f"{path.relative_to(PROJECT_ROOT)} imports {name}"
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        for name in imports_of(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    ]
    assert offences == []
