"""Supervision trees from configuration files: ``load_tree`` and ``spawn_tree``.

A file is read (``_load``), checked as a whole with every problem collected
(``_validate``), decoded into frozen specs (``_spec``), and only then turned
into supervisors and child specs (``_build``) when ``spawn_tree`` starts it.
"""

from __future__ import annotations

import os

from supervision.config._load import parse_text, read_file
from supervision.config._spec import TreeSpec
from supervision.config._validate import decode_document

__all__ = ["load_tree", "parse_tree"]


def load_tree(path: str | os.PathLike[str]) -> TreeSpec:
    """Read, check and decode the supervision tree declared in the file at ``path``.

    The format follows the extension: ``.toml``, ``.yaml`` / ``.yml`` or ``.json``. The
    modules the file names (``actor = "package.module:Class"``) are imported, and each
    child's ``args`` are checked against its class's constructor; nothing is started.
    ``spawn_tree(system, spec)`` starts the tree.

    Raises:
        ConfigError: with **every** problem the file has (``.errors``), each with its
            location (``$.tree.children[1].max_restarts``); a file that cannot be read or
            parsed gives one problem with the parser's line and column. Nothing else is
            raised for a bad file.
    """
    source = os.fspath(path)
    text, kind = read_file(path)
    return parse_tree(text, kind, source=source)


def parse_tree(text: str, kind: str, *, source: str | None = None) -> TreeSpec:
    """``load_tree`` for text already read: ``kind`` is ``toml``, ``yaml`` or ``json``."""
    return decode_document(parse_text(text, kind, source), source)
