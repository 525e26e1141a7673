"""Speed and memory of ``tocsin export``; run ``python -m bench.export [--items 40000]``.

Starts an osmem search server on a free loopback port, archives ``--items``
items whose titles and texts are the demo corpus's real ones (realistic sizes
and scripts), then runs ``tocsin export`` as a child process for a quarter of the
items and for all of them, in both formats, and reports items/s and the child's
peak RSS. Equal RSS for both sizes is what "constant memory" means: the export
holds one page (``--page-size``) at a time, whatever the total.

On osmem the rate falls as the index grows while the export's memory stays
flat: the cost of each ``search_after`` page on the server, not the export,
bounds it here; a real Elasticsearch would behave differently.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.corpus import load_templates
from processors.archive import TEMPLATE_FILE
from tocsin.documents import to_document
from tocsin.schema import CategoryHit, EnrichedItem, SourceRef
from tocsin.search import bulk_index, install_index, search_client
from tocsin.settings import SearchSettings
from tocsin_embedded.search import start_search_server

COMPAT_NODE = "tocsin_embedded.compat:PlainJsonNode"
# ``tocsin`` with its own peak RSS (VmHWM, which exec resets; ru_maxrss of a child
# would include the memory of this process, which it was forked from) on stderr.
_REPORT_PEAK = """
import runpy, sys
sys.argv = ["tocsin", *sys.argv[1:]]
try:
    runpy.run_module("tocsin_launch.cli", run_name="__main__")
finally:
    print(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")), file=sys.stderr)
"""


def items(count: int) -> list[tuple[str, dict[str, object]]]:
    files = load_templates()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    docs = []
    for n in range(count):
        corpus = files[n % len(files)]
        template = corpus.templates[(n // len(files)) % len(corpus.templates)]
        item = EnrichedItem(
            id=f"bench-{n:08d}", source=SourceRef(type="rss", name=corpus.name), url=f"https://x.example/{n}",
            title=template.title, text=template.text, published=start + timedelta(seconds=n * 7),
            collected=start, raw_sha256=f"{n:064x}", content_sha256=f"{n:064x}", lang=corpus.language or "en",
            lang_confidence=0.9, categories={"violence_report": CategoryHit(score=0.6, classifier="bench")},
            country=("SD", "KE", "ET")[n % 3], processed=start)
        docs.append((item.id, to_document(item)))
    return docs


async def archive(settings: SearchSettings, index: str, count: int) -> float:
    es = search_client(settings)
    try:
        await install_index(es, index, TEMPLATE_FILE)
        docs = items(count)
        started = time.perf_counter()
        for offset in range(0, len(docs), 1000):
            assert not await bulk_index(es, index, docs[offset:offset + 1000])
        await es.indices.refresh(index=index)
        return time.perf_counter() - started
    finally:
        await es.close()


def export_once(settings: SearchSettings, index: str, fmt: str, limit_to: str | None, page_size: int,
                out: Path) -> tuple[int, float, float]:
    """(items, seconds, peak RSS MB) of one ``tocsin export`` child."""
    env = {**os.environ, "TOCSIN_SEARCH__URL": settings.url, "TOCSIN_SEARCH__NODE_CLASS": COMPAT_NODE,
           "TOCSIN_SEARCH__ITEMS_INDEX": index}
    argv = [sys.executable, "-c", _REPORT_PEAK, "export", "--format", fmt, "-o", str(out),
            "--page-size", str(page_size), "--no-progress"]
    if limit_to:
        argv += ["--to", limit_to]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"export failed: {done.stderr}")
    written = int(done.stderr.split("exported ")[1].split(" ")[0])
    peak = int(done.stderr.split("VmHWM:")[1].split()[0]) / 1024
    return written, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    server = start_search_server()
    try:
        settings = SearchSettings(url=server.url, node_class=COMPAT_NODE)
        index = "bench-export"
        seconds = asyncio.run(archive(settings, index, args.items))
        print(f"archived {args.items} items in {seconds:.1f} s")
        quarter = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=args.items // 4 * 7)).isoformat()
        print("| format | items | items/s | peak RSS of the export process |\n|---|---|---|---|")
        with tempfile.TemporaryDirectory() as directory:
            for fmt in ("ndjson", "csv"):
                for limit in (quarter, None):
                    out = Path(directory) / f"export.{fmt}"
                    written, elapsed, peak = export_once(settings, index, fmt, limit, args.page_size, out)
                    print(f"| {fmt} | {written:,} | {written / elapsed:,.0f} | {peak:.0f} MB |")
    finally:
        server.close()


if __name__ == "__main__":
    main()
