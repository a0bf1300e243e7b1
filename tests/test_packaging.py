"""The package ships everything it needs: every subpackage is listed in pyproject.toml, templates are package data."""

import sys
from pathlib import Path

import pytest


if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT / "src").parts)
        for init in (ROOT / "src" / "uas_hf").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    found.add("uas_hf.hub_cards")
    assert found - listed == set(), (
        f"add these packages to [tool.setuptools] packages in pyproject.toml: {sorted(found - listed)}"
    )
    assert listed - found == set(), f"pyproject.toml lists packages that do not exist: {sorted(listed - found)}"


def test_card_templates_are_package_data():
    from uas_hf.utils.templates import template_path

    for name in ("model_card.md.jinja", "dataset_card.md.jinja", "metric_card.md.jinja", "space_card.md.jinja"):
        assert template_path(name).is_file()
    with pytest.raises(ValueError, match="bare template file name"):
        template_path("../pyproject.toml")


def test_console_script_declared():
    assert _pyproject()["project"]["scripts"]["uas-hf"] == "uas_hf.cli.main:main"


def test_test_module_basenames_are_unique():
    # pytest's default (prepend) import mode imports test files by basename: duplicates abort collection
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"rename these test files so their basenames are unique: {duplicates}"
