"""The documentation points only at files the repository has; the README stays short."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "benchmarks" / "README.md",
]
# Folders the app creates at run time (.gitignore'd), named in the docs on purpose.
RUNTIME = {"var"}

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
PATH_LIKE = re.compile(r"[\w.*-]+(/[\w.*-]+)*/?")
MARKDOWN_NAME = re.compile(r"(?<![\w/.-])([\w./-]*\w\.md)\b")
ROOT_FILE = re.compile(r"[\w.-]+\.(py|md|sh|txt|toml|yml|yaml|example|cfg)|Makefile")


def _prose(path: Path) -> str:
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _exists(relative: str, base: Path) -> bool:
    if "*" in relative:
        return any(base.glob(relative))
    return (base / relative).exists()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def repo_paths(text: str) -> list[str]:
    """Backticked words that name a repository path: ``a/b.py``, ``docs/``, ``Makefile``.

    A word with a slash counts when it has no spaces, placeholders or URL parts and does
    not start with ``/`` (a URL path) or ``~``; a word without one counts when it looks
    like a file at the top of the repository (``manage.py``, ``.env.example``).
    """
    found = []
    for word in CODE.findall(text):
        if word.startswith(("/", "~", "http")) or not PATH_LIKE.fullmatch(word):
            continue
        if "/" in word:
            if word.split("/", 1)[0] not in RUNTIME:
                found.append(word)
        elif ROOT_FILE.fullmatch(word):
            found.append(word)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_the_repository_has(doc):
    assert doc.exists()
    headings = {
        _anchor(line.lstrip("#"))
        for line in _prose(doc).splitlines()
        if line.startswith("#")
    }
    missing = []
    for target in LINK.findall(_prose(doc)):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, fragment = target.partition("#")
        if not path:
            if fragment not in headings:
                missing.append(target)
        elif not _exists(path, doc.parent):
            missing.append(target)
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_backticked_repository_paths_exist(doc):
    missing = [path for path in repo_paths(_prose(doc)) if not _exists(path, ROOT)]
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_named_markdown_files_exist(doc):
    """A document cited by name (``DESIGN.md section 7``) must be in the repository."""
    prose = re.sub(r"https?://\S+", "", _prose(doc))
    missing = [
        name
        for name in MARKDOWN_NAME.findall(prose)
        if not (_exists(name, ROOT) or _exists(name, doc.parent))
    ]
    assert missing == []


def test_the_readme_is_at_most_200_lines_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    opening = "\n".join(lines[:8])
    assert "bash scripts/demo.sh" in opening
    assert "bash scripts/test.sh" in opening


def test_path_detection():
    text = "`docs/operations.md`, `var/`, `/api/docs/`, `.env.example`, `a b/c`, `x`"
    assert repo_paths(text) == ["docs/operations.md", ".env.example"]
    assert MARKDOWN_NAME.findall("see DESIGN.md section 7 and docs/x.md.") == [
        "DESIGN.md",
        "docs/x.md",
    ]
