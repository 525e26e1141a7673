"""Every link of the README reaches a file, and every link into docs/ a built page and heading.

Links between the manual's own pages are checked by ``mkdocs build --strict`` (the
``site`` fixture), anchors included (``validation.anchors`` in mkdocs.yml).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from tests.docs.conftest import ROOT

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def page_ids(html: Path) -> set[str]:
    parser = _Ids()
    parser.feed(html.read_text(encoding="utf-8"))
    return parser.ids


def built_page(site: Path, page: str) -> Path:
    """Where MkDocs (directory URLs) writes ``page``, a path relative to docs/."""
    stem = page.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


def links(markdown: str) -> list[str]:
    """The targets of Markdown links and images, outside fenced code."""
    return LINK.findall(FENCE.sub("", markdown))


def broken_links(markdown: str, base: Path, site: Path) -> list[str]:
    """Links of a Markdown file in ``base`` that reach nothing: a missing file, a docs page
    the site does not have, or a heading (anchor) the built page does not have."""
    broken = []
    for target in links(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # external (checked by nobody offline) or within the README itself
        path, _, anchor = target.partition("#")
        file = (base / path).resolve()
        if not file.exists():
            broken.append(f"{target}: no such file")
            continue
        try:
            page = file.relative_to(ROOT / "docs")
        except ValueError:
            if anchor:
                broken.append(f"{target}: anchors are only checked into docs/")
            continue
        if file.suffix != ".md":
            continue
        html = built_page(site, page.as_posix())
        if not html.exists():
            broken.append(f"{target}: not a page of the built site (missing from nav?)")
        elif anchor and anchor not in page_ids(html):
            broken.append(f"{target}: the page has no heading #{anchor}")
    return broken


def test_every_readme_link_reaches_a_file_a_page_and_a_heading(site: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert links(readme), "the README links into the manual"
    assert broken_links(readme, ROOT, site) == []


def test_the_check_reports_a_missing_page_file_and_heading(site: Path) -> None:
    text = ("[ok](docs/concepts.md#delivery-guarantees) [page](docs/nowhere.md) "
            "[heading](docs/concepts.md#no-such-heading) [file](deploy/nothing.yaml) "
            "[web](https://example.org/x.md)\n```md\n[in code](docs/ignored.md)\n```\n")
    assert broken_links(text, ROOT, site) == [
        "docs/nowhere.md: no such file",
        "docs/concepts.md#no-such-heading: the page has no heading #no-such-heading",
        "deploy/nothing.yaml: no such file",
    ]


def test_every_page_in_docs_is_in_the_built_site(site: Path) -> None:
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")
             if "hooks" not in p.parts]
    assert [page for page in pages if not built_page(site, page).exists()] == []


def test_images_of_the_manual_are_copied_into_the_site(site: Path) -> None:
    assert (site / "dashboard-map.png").stat().st_size > 0
    assert 'src="../dashboard-map.png"' in (site / "dashboard" / "index.html").read_text(encoding="utf-8")
