"""The wheel holds every package: pyproject lists them one by one (the repo maps `tasks/`,
`templates/` and `inventory/` into `nornir_evpn`), and an editable install, which CI and the
README use, finds a package the list forgets; `pip install nornir-evpn` would not."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_for_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    mapped = setuptools["package-dir"]  # package -> directory
    on_disk = set()
    for package, directory in mapped.items():
        base = ROOT / directory
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            if "__pycache__" not in rel:
                on_disk.add(".".join((package, *rel)))
    assert on_disk - listed == set(), "packages missing from [tool.setuptools] packages"
    assert listed - on_disk == set(), "listed packages with no __init__.py"
