"""The docs include their code from files with snippet directives; each one must resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md"))
DIRECTIVE = re.compile(r'--8<-- "([^"]+)"')


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_snippet_in_a_page_names_an_existing_file_and_section(page: Path) -> None:
    for reference in DIRECTIVE.findall(page.read_text()):
        path, _, section = reference.partition(":")
        source = ROOT / path
        assert source.is_file(), f"{reference}: no such file"
        if section:
            text = source.read_text()
            assert f"--8<-- [start:{section}]" in text, f"{reference}: no start marker"
            assert f"--8<-- [end:{section}]" in text, f"{reference}: no end marker"
