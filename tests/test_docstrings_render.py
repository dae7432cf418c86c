"""Every public docstring renders as the reference means it to: each section is one that
mkdocstrings' google-style parser knows, so none turns into a run-on paragraph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import griffe
import pytest

import actors
import actors.logging
import actors.metrics
import actors.testing
import supervision

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = [actors, actors.testing, actors.logging, actors.metrics, supervision]
# The admonitions mkdocs-material styles ("Note:", "Warning:", ... in a docstring). Any other
# "Title:" line opening an indented block is an unknown section: google style renders it as a
# made-up admonition whose entries run together into one paragraph.
ADMONITIONS = {
    "note", "abstract", "info", "tip", "success", "question", "warning", "failure",
    "danger", "bug", "example", "quote",
}  # fmt: skip


def public_objects() -> Iterator[griffe.Object]:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)], docstring_parser="google")
    packages = {name: loader.load(name) for name in ("actors", "supervision")}
    loader.resolve_aliases(external=False)
    seen: set[str] = set()

    def walk(obj: griffe.Object | griffe.Alias) -> Iterator[griffe.Object]:
        target = obj.final_target if isinstance(obj, griffe.Alias) else obj
        if target.path in seen:
            return
        seen.add(target.path)
        yield target
        if target.is_class or target.is_module:
            for name, member in target.members.items():
                if not name.startswith("_") or name == "__init__":
                    yield from walk(member)

    for module in PUBLIC_MODULES:
        package, _, rest = module.__name__.partition(".")
        loaded = packages[package][rest] if rest else packages[package]
        for name in module.__all__:
            yield from walk(loaded[name])


def test_the_walk_finds_the_public_classes_and_their_methods() -> None:
    found = {(obj.parent.name if obj.parent else "", obj.name) for obj in public_objects()}
    assert {("Actor", "receive"), ("ActorSystem", "spawn"), ("Supervisor", "on_child_failed")} <= (
        found
    )


def test_every_public_docstring_uses_only_known_sections() -> None:
    unknown = [
        f"{obj.path}: section {section.title!r}"
        for obj in public_objects()
        if obj.docstring is not None
        for section in obj.docstring.parsed
        if section.kind is griffe.DocstringSectionKind.admonition
        and section.value.kind not in ADMONITIONS
    ]
    assert not unknown, f"not a google-style section (use Attributes:, Args:, ...): {unknown}"


@pytest.mark.parametrize(
    ("docstring", "unknown"),
    [("Summary.\n\nClass attributes:\n    a: one.\n", True), ("Summary.\n\nNote:\n    x\n", False)],
)
def test_an_unknown_section_is_parsed_as_an_admonition(docstring: str, unknown: bool) -> None:
    [_, section] = griffe.Docstring(docstring).parse("google")
    assert section.kind is griffe.DocstringSectionKind.admonition
    assert (section.value.kind not in ADMONITIONS) is unknown
