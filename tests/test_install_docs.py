"""The README's Install section stays true to pyproject.toml (Python version, extras)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def install_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]


def test_install_section_names_the_python_version_of_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    [version] = re.findall(r'^requires-python = ">=(\d+\.\d+)"$', pyproject, re.MULTILINE)
    assert f"Needs Python {version} or newer." in install_section()


def test_install_section_extras_exist_in_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    optional = pyproject.split("[project.optional-dependencies]\n", 1)[1].split("\n\n", 1)[0]
    declared = set(re.findall(r"^(\w+) = \[", optional, re.MULTILINE))
    section = install_section()
    assert "pip install .  " in section
    assert set(re.findall(r'pip install "\.\[(\w+)\]"', section)) == {"dask", "notebooks"}
    assert {"dask", "notebooks"} <= declared
