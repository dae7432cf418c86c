"""Every tutorial and how-to page runs as a reader copies it into an empty folder.

How a page is read, the way a reader does (and how to write one so that it passes):

1. The page is rendered the way the site renders it: its ``--8<--`` snippet includes are
   resolved by pymdownx.snippets itself, with the options from ``mkdocs.yml`` (sections, and
   their dedenting), so what is checked is the code the reader sees, not the example file.
2. A code block meant to be copied names its file in its title:
   ````` ```python title="examples/tutorial/first_actor.py" `````. The site shows the title
   above the block. Blocks with the same title continue one another: the file is their
   contents in page order, separated by two blank lines. So every block is complete at the
   top level of its file (no fragment of a function body), the first block of a file has its
   imports, and the last has the ``if __name__ == "__main__":`` guard when the file is run.
   Every ``python`` block has a title; a block without a title (output, JSON, a command) is not
   copied.
3. The commands the page shows in ``sh`` and ``console`` blocks (``$ `` lines in a console
   block) are run in that folder, in page order: ``python -m MODULE``, ``supervise ...``,
   ``pytest ...``. ``uvicorn MODULE:app`` is started on a free loopback port and each
   ``curl`` line below it is fetched from it; a console block that shows ``^C`` after a
   command is answered by SIGINT once the command printed its first line. ``pip install``
   lines are not run (the test environment has the packages). Every page that has code runs
   at least one command; each exits 0, and no ``NameError`` or ``ImportError`` appears in its
   output (an actor that fails is logged, and the program may well exit 0).

The commands run with the project's packages (``actors``, ``supervision``) but without the
repository on ``sys.path``, so nothing comes from the repository's own ``examples/``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.glob("tutorial/*.md"), *DOCS.glob("how-to/*.md")])
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<language>[\w+-]*)(?P<rest>.*)$")
TITLE = re.compile(r'title="([^"]+)"')
COMMAND_LANGUAGES = {"sh", "console"}
# A failing actor is logged, not raised: a program can exit 0 while every message fails. These
# errors in the output always mean the page left out a definition or an import.
MISSING = re.compile(r"\b(NameError|ImportError|ModuleNotFoundError): .*")
TIMEOUT = 60.0
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy

# Run in the subprocess: import the project's packages, then drop the repository from
# sys.path so that `examples` (and anything else) can only come from the reader's folder.
RUNNER = """
import os, runpy, sys
import actors, supervision
root, tool, *args = sys.argv[1:]
sys.path[:] = [p for p in sys.path if p not in ("", ".", root) and os.path.abspath(p) != root]
sys.path.insert(0, os.getcwd())
if tool == "python":
    assert args[0] == "-m", args
    sys.argv = [args[1], *args[2:]]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
elif tool == "supervise":
    from supervision.cli._main import main
    sys.exit(main(args))
elif tool == "pytest":
    import pytest
    sys.exit(pytest.main(["-p", "no:cacheprovider", *args]))
elif tool == "uvicorn":
    import uvicorn
    uvicorn.main.main(args=args, prog_name="uvicorn")
"""


@dataclass
class Fetch:
    """One ``curl [-X METHOD] [-H 'Name: value'] URL`` line of a page."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, argv: list[str]) -> Fetch:
        fetch, rest = cls(""), argv[1:]
        while rest:
            option = rest.pop(0)
            if option == "-X":
                fetch.method = rest.pop(0)
            elif option == "-H":
                name, _, value = rest.pop(0).partition(":")
                fetch.headers[name.strip()] = value.strip()
            elif option.startswith("-"):
                raise AssertionError(f"curl option {option!r}: the test does not know it")
            else:
                fetch.url = option
        assert fetch.url, f"{argv!r}: curl what?"
        return fetch


@dataclass
class Command:
    """A command a page shows, with what the page shows next to it."""

    argv: list[str]
    interrupted: bool = False  # the page shows ^C: stop it with SIGINT after its first line
    # The curl lines below a uvicorn command: (method, URL, headers) to fetch from it.
    fetches: list[Fetch] = field(default_factory=list)


@dataclass
class Page:
    files: dict[str, list[str]]
    commands: list[Command]


def rendered_lines(page: Path) -> list[str]:
    """The page's Markdown after snippet inclusion, as mkdocs renders it."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    extension_configs = dict(config["mdx_configs"])
    snippets = dict(extension_configs.get("pymdownx.snippets", {}))
    snippets["base_path"] = [str(ROOT / path) for path in snippets.get("base_path", ["."])]
    extension_configs["pymdownx.snippets"] = snippets
    renderer = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=extension_configs
    )
    lines: list[str] = renderer.preprocessors["snippet"].run(page.read_text().split("\n"))
    return lines


def read_page(lines: list[str], where: str) -> Page:
    files: dict[str, list[str]] = {}
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        line_number = index + 1
        fence, language = opening["fence"], opening["language"].lower()
        title = TITLE.search(opening["rest"])
        content: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            content.append(lines[index])
            index += 1
        index += 1
        if language in ("python", "py"):
            assert title is not None, (
                f"{where}, block {line_number}: a python block without a title; name its file"
                ' (```python title="examples/...py")'
            )
        if title is not None:
            files.setdefault(title[1], []).append("\n".join(content).strip("\n"))
        elif language in COMMAND_LANGUAGES:
            commands.extend(commands_of(content, console=language == "console"))
    return Page(files, commands)


def commands_of(content: list[str], *, console: bool) -> list[Command]:
    commands: list[Command] = []
    for line in content:
        if console and not line.startswith("$ "):
            if "^C" in line and commands:
                commands[-1].interrupted = True
            continue
        text = line.removeprefix("$ ").split("#", 1)[0].strip()
        if not text:
            continue
        argv = shlex.split(text)
        argv[0] = argv[0].removeprefix(".venv/bin/")
        if argv[0] == "curl":
            assert commands, f"{line!r}: curl what?"
            assert commands[-1].argv[0] == "uvicorn", f"{line!r}: curl what?"
            commands[-1].fetches.append(Fetch.parse(argv))
        elif argv[0] in ("python", "supervise", "pytest", "uvicorn"):
            commands.append(Command(argv))
        elif argv[:2] in (["pip", "install"], ["echo", "$?"]):
            continue  # installing is done; the exit code is checked
        else:
            raise AssertionError(f"{line!r}: the test does not know how to run this command")
    return commands


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run(command: Command, folder: Path) -> str:
    """Run one command in the folder; return its output. Fails unless it exits 0 and its
    output names no missing piece (see ``MISSING``)."""
    argv = [sys.executable, "-c", RUNNER, str(ROOT), *command.argv]
    shown = shlex.join(command.argv)
    if command.argv[0] == "uvicorn":
        return serve(argv, command, folder)
    if not command.interrupted:
        result = subprocess.run(
            argv, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
        output, errors, code = result.stdout, result.stderr, result.returncode
    else:
        with subprocess.Popen(
            argv, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None
            first = process.stdout.readline()  # blocks until the program said it is ready
            process.send_signal(signal.SIGINT)
            rest, errors = process.communicate(timeout=TIMEOUT)
        output, code = first + rest, process.returncode
    assert code == 0, f"{shown} exited {code}:\n{errors}"
    missing = MISSING.search(output + errors)
    assert missing is None, f"{shown}: {missing[0]}: the page leaves something out\n{errors}"
    return output


def serve(argv: list[str], command: Command, folder: Path) -> str:
    """Start uvicorn on a free loopback port, fetch the page's URLs (each must answer 2xx),
    stop it with SIGINT (a graceful lifespan shutdown), and return the bodies."""
    port = free_port()
    argv = [*argv, "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(
        argv, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        try:
            started = []
            for line in process.stderr:  # until uvicorn listens (after startup), or exits
                started.append(line)
                if "Uvicorn running on" in line:
                    break
            else:
                raise AssertionError(f"uvicorn did not start:\n{''.join(started)}")
            bodies = []
            for fetch in command.fetches:
                url = re.sub(r"^(http://)?localhost:8000", f"http://127.0.0.1:{port}", fetch.url)
                request = urllib.request.Request(url, method=fetch.method, headers=fetch.headers)
                with LOOPBACK.open(request, timeout=10.0) as response:  # raises unless 2xx/3xx
                    bodies.append(response.read().decode())
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0, f"uvicorn exited {process.returncode}:\n{errors}"
    return "\n".join(bodies)


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


@pytest.mark.real_time  # subprocesses, servers
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_page_runs_as_shown_from_an_empty_folder(page: Path, tmp_path: Path) -> None:
    shown = read_page(rendered_lines(page), page_id(page))
    for name, blocks in shown.files.items():
        target = tmp_path / name
        assert target.resolve().is_relative_to(tmp_path), f"{name}: outside the folder"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n\n\n".join(blocks) + "\n")
    if not shown.files:
        return  # a page without code to copy (the commands it shows need the repository)
    assert shown.commands, f"{page_id(page)} shows code but no command that runs it"
    for command in shown.commands:
        run(command, tmp_path)


def test_a_page_is_read_as_files_and_commands() -> None:
    lines = [
        '```python title="a/b.py"',
        "import sys",
        "```",
        "text",
        '```python title="a/b.py"',
        "print(sys.argv)",
        "```",
        "```console",
        "$ python -m a.b  # runs it",
        "hello",
        "^C",
        "$ echo $?",
        "```",
        "```sh",
        "uvicorn a.b:app",
        "curl localhost:8000/x",
        "```",
        "```text",
        "output",
        "```",
    ]
    page = read_page(lines, "page")
    assert page.files == {"a/b.py": ["import sys", "print(sys.argv)"]}
    assert page.commands == [
        Command(["python", "-m", "a.b"], interrupted=True),
        Command(["uvicorn", "a.b:app"], fetches=[Fetch("localhost:8000/x")]),
    ]


def test_a_python_block_without_a_title_is_refused() -> None:
    with pytest.raises(AssertionError, match="without a title"):
        read_page(["```python", "print(1)", "```"], "page")


def test_snippets_resolve_to_the_code_and_sections_are_dedented() -> None:
    lines = rendered_lines(DOCS / "tutorial" / "first-actor.md")
    assert not any("--8<--" in line for line in lines)
    assert "class Greeter(Actor):" in lines


def test_the_readme_does_not_send_readers_to_the_raw_pages_for_code() -> None:
    readme = (ROOT / "README.md").read_text()
    includes = sum(page.read_text().count("--8<--") for page in DOCS.rglob("*.md"))
    assert includes, "the pages include their code"
    assert "read well on GitHub" not in " ".join(readme.split())


def test_the_installed_project_shadows_no_reader_module(tmp_path: Path) -> None:
    """The development install (``pip install -e``) maps only ``actors`` and ``supervision``:
    a reader's own ``examples/`` (a namespace package, as the pages build it) is the one that
    runs, not the repository's, and ``tests`` or ``benchmarks`` are not importable."""
    probe = (
        "import importlib.util, json\n"
        "print(json.dumps([importlib.util.find_spec(name) is not None"
        " for name in ('actors', 'supervision', 'examples', 'tests', 'benchmarks')]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert json.loads(result.stdout) == [True, True, False, False, False], result.stderr


def test_the_runner_hides_the_repository(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(
        "import importlib.util, json\n"
        "print(json.dumps(importlib.util.find_spec('examples') is None))\n"
    )
    assert json.loads(run(Command(["python", "-m", "probe"]), tmp_path)) is True
    assert os.listdir(tmp_path) == ["probe.py"]
