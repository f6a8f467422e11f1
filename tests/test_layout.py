"""The layout's promises that code review alone would let slip: pure modules stay pure, and only two
modules ask which database they run on."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The domain rules and text processing, testable and reusable without Django.
PURE = [
    "papers/parsing.py",
    "papers/cleaning.py",
    "papers/duplicates.py",
    "papers/charts.py",
    "papers/links.py",
    "papers/math.py",
    "papers/citations.py",
    "papers/importing/rules.py",
    "papers/search/text.py",
    "papers/search/query.py",
    "papers/search/highlight.py",
    "readinglists/tokens.py",
    "papers/windows.py",
]


def imported_modules(path):
    """The modules a file imports, relative imports resolved to file paths under ROOT."""
    tree = ast.parse(path.read_text())
    package = path.parent
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.parent
                target = base.joinpath(*node.module.split(".")) if node.module else base
                found.add(
                    str(
                        (
                            target.with_suffix(".py")
                            if target.with_suffix(".py").exists()
                            else target / "__init__.py"
                        ).relative_to(ROOT)
                    )
                )
            else:
                found.add(node.module)
    return found


def test_pure_modules_import_nothing_from_django_even_indirectly():
    for name in PURE:
        seen, pending = set(), [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            for module in imported_modules(ROOT / current):
                assert not module.split(".")[0] == "django", f"{current} imports {module}"
                if module.endswith(".py"):
                    assert module in PURE, f"{name} reaches {module}, which is not a pure module"
                    pending.append(module)


def test_only_bulk_and_the_search_backends_ask_which_database_they_run_on():
    found = [
        str(path.relative_to(ROOT))
        for folder in ("papers", "portal")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and "connection.vendor" in path.read_text()
    ]
    assert sorted(found) == ["papers/bulk.py", "papers/search/backends.py"]
