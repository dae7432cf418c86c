"""The docs include their code from files with snippet directives; each one must resolve, no
Python code is written inline in a page, and the reference names every public name."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import actors
import actors.asgi
import actors.liveview
import actors.logging
import actors.metrics
import actors.testing
import actors.tracing
import supervision
import supervision.asgi

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
DIRECTIVE = re.compile(r'--8<-- "([^"]+)"')
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
# Code comes from examples/ (run by the tests); these languages may also show commands,
# their output, or data inline.
INLINE_LANGUAGES = {"text", "console", "sh", "toml", "yaml", "json"}
PYTHON = {"python", "py", "python3", "pycon"}
PUBLIC_MODULES = [
    actors,
    actors.asgi,
    actors.testing,
    actors.logging,
    actors.metrics,
    actors.liveview,
    actors.tracing,
    supervision,
    supervision.asgi,
]


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def fenced_blocks(text: str) -> list[tuple[int, str, list[str]]]:
    """The fenced code blocks of a page: (line number, language, content lines)."""
    blocks: list[tuple[int, str, list[str]]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        _, fence, language = opening.groups()
        start = index
        content = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            content.append(lines[index])
            index += 1
        blocks.append((start + 1, language.lower(), content))
        index += 1
    return blocks


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_snippet_in_a_page_names_an_existing_file_and_section(page: Path) -> None:
    for reference in DIRECTIVE.findall(page.read_text()):
        path, _, section = reference.partition(":")
        source = ROOT / path
        assert source.is_file(), f"{reference}: no such file"
        if section:
            text = source.read_text()
            assert f"--8<-- [start:{section}]" in text, f"{reference}: no start marker"
            assert f"--8<-- [end:{section}]" in text, f"{reference}: no end marker"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_python_code_in_a_page_is_included_from_examples(page: Path) -> None:
    for line, language, content in fenced_blocks(page.read_text()):
        where = f"{page_id(page)}:{line}"
        if language in PYTHON:
            code = [text.strip() for text in content if text.strip()]
            assert code, f"{where}: an empty python block"
            for text in code:
                match = DIRECTIVE.fullmatch(text)
                assert match is not None, (
                    f"{where}: python code written inline ({text!r}); put it in examples/"
                    " (with a test) and include it with --8<--"
                )
                assert match[1].startswith("examples/"), f"{where}: {match[1]} not in examples/"
        else:
            assert language in INLINE_LANGUAGES, (
                f"{where}: a code block in {language or 'no language'}; label it with one of"
                f" {sorted(INLINE_LANGUAGES)}, or include python from examples/"
            )


def test_the_fence_scanner_finds_inline_python() -> None:
    page = '```python\n--8<-- "examples/a.py:x"\n```\n\n```py\nprint(1)\n```\n'
    assert fenced_blocks(page) == [
        (1, "python", ['--8<-- "examples/a.py:x"']),
        (5, "py", ["print(1)"]),
    ]


def documented_names() -> set[str]:
    names = set()
    for page in (DOCS / "reference").glob("*.md"):
        names.update(re.findall(r"^::: ([\w.]+)\s*$", page.read_text(), flags=re.MULTILINE))
    return names


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_every_public_name_has_a_reference_entry(module: object) -> None:
    missing = [
        f"{module.__name__}.{name}"  # type: ignore[attr-defined]
        for name in module.__all__  # type: ignore[attr-defined]
        if f"{module.__name__}.{name}" not in documented_names()  # type: ignore[attr-defined]
    ]
    assert not missing, f"add '::: NAME' to a page of docs/reference/ for: {missing}"


def test_every_page_is_in_the_site_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [
        str(page.relative_to(DOCS)) for page in PAGES if str(page.relative_to(DOCS)) not in nav
    ]
    assert not missing, f"add to nav in mkdocs.yml: {missing}"


def test_the_readme_links_only_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert local, "the README links to the documentation pages"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_readme_quick_start_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    [code] = [
        "\n".join(content) for _, language, content in fenced_blocks(readme) if language in PYTHON
    ]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "3"
