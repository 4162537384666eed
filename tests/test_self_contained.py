"""The repository explains itself: no file points a reader to a document outside it (the
contract is docs/api.md, the architecture docs/architecture.md)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Names of documents that live outside the repository, and phrases that lean on them.
OUTSIDE = re.compile(r"(?<![\w/])(API|DESIGN|STYLE|CONTAINERS)\.md|\.\./shared/|the brief\b|brief's|bank engineer")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / name for name in names if (ROOT / name).is_file()]


def test_no_file_refers_to_a_document_outside_the_repository():
    this = Path(__file__).resolve()
    found = []
    for path in tracked_text_files():
        if path == this:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not found, f"references to documents outside the repository: {found}"


def test_the_contract_is_in_the_repository():
    text = (ROOT / "docs" / "api.md").read_text()
    for heading in ("### Idempotency-Key", "## Auth service", "## Shop", "## Bank", "## Health and metrics"):
        assert heading in text
