"""The newcomer's documents stay true to the tree: README.md and docs/*.md.

Every file the architecture pictures name exists and defines the function or class named beside it, so a move or a
rename that would leave the picture pointing at nothing fails here; every relative link and section anchor in the
documents resolves (operational detail moved from README to docs/operations.md, and links point across).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SOURCE_PATH = re.compile(r"\b((?:tsunagu|bot|handoff|editor|analytics|eval|knowledge|retrieval|core|console)"
                         r"/[\w/]+\.py)\b(?: ([A-Z]\w*(?:\.\w+)?|[a-z_]\w*(?:, \w+)*))?")
LINK = re.compile(r"\]\(([^)\s]+)\)")
NODE = re.compile(r"^\s*(\w+)\[\"(\w+)/<br/>", re.M)
SOLID_EDGE = re.compile(r"^\s*(\w+) --> ([\w& ]+)$", re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in document.read_text().splitlines() if line.startswith("#")}


def defines(source: Path, name: str) -> bool:
    return re.search(rf"^\s*(?:async def|def|class) {re.escape(name)}\b", source.read_text(), re.M) is not None


def named_code(text: str) -> list[tuple[str, list[str]]]:
    """(file, names defined in it) for each ``path.py Name`` or ``path.py Class.method`` in ``text``."""
    found = []
    for match in SOURCE_PATH.finditer(text):
        names = [part for words in (match.group(2) or "").split(", ") for part in words.split(".") if part]
        found.append((match.group(1), names))
    return found


def test_slug_follows_github() -> None:
    assert slug("Monitoring (Prometheus)") == "monitoring-prometheus"
    assert slug("Health and readiness") == "health-and-readiness"


def test_named_code_reads_files_and_names() -> None:
    found = named_code("bot/worker.py BotWorker.process_inbox<br/>")
    assert found == [("bot/worker.py", ["BotWorker", "process_inbox"])]
    assert named_code("`bot/webhook.py` — what") == [("bot/webhook.py", [])]


def drawn_imports(picture: str) -> set[tuple[str, str]]:
    """(importer, imported) package pairs of the solid arrows in the package picture."""
    package = dict(NODE.findall(picture))
    return {(package[source], package[target.strip()])
            for source, targets in SOLID_EDGE.findall(picture) for target in targets.split("&")}


def imports(importer: str, imported: str) -> bool:
    line = re.compile(rf"^\s*(?:from|import) {imported}\b", re.M)
    return any(line.search(source.read_text()) for source in (ROOT / importer).rglob("*.py"))


def test_drawn_imports_reads_the_arrows() -> None:
    picture = 'a["bot/<br/>x"]\nb["handoff/<br/>y"]\nc["knowledge/<br/>z"]\na --> b & c\nb -.-> a\n'
    assert drawn_imports(picture) == {("bot", "handoff"), ("bot", "knowledge")}


def test_every_arrow_of_the_package_picture_is_a_real_import() -> None:
    text = ARCHITECTURE.read_text()
    picture = text[text.index("## Packages"):text.index("## Message flow")]
    drawn = drawn_imports(picture)
    assert len(drawn) >= 20
    assert not [arrow for arrow in sorted(drawn) if not imports(*arrow)]


def test_architecture_has_the_three_pictures() -> None:
    text = ARCHITECTURE.read_text()
    assert text.count("```mermaid\nflowchart") == 3
    for heading in ("## Packages", "## Message flow", "## Publish flow"):
        assert heading in text


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_file_and_name_in_the_documents_exists(document: Path) -> None:
    missing = []
    for path, names in named_code(document.read_text()):
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
            continue
        missing += [f"{path}: {name}" for name in names if not defines(source, name)]
    assert not missing, f"{document.name} names code that is not there: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or (anchor and anchor not in anchors(linked)):
            broken.append(target)
    assert not broken, f"{document.name} has broken links: {broken}"


def test_readme_first_screen_has_the_commands_and_the_picture() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:45])
    for needed in ("scripts/run", "scripts/test", "scripts/check", "docs/architecture.md", "docs/operations.md"):
        assert needed in first_screen, needed
    for script in ("run", "test", "check"):
        assert (ROOT / "scripts" / script).stat().st_mode & 0o111, f"scripts/{script} is not executable"
