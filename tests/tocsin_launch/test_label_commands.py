"""``tocsin labels export``: one labelled CSV per category from the labels index."""

from __future__ import annotations

import asyncio
import csv
import uuid
from pathlib import Path

import pytest

from tests.tocsin.test_labels import AT, doc
from tocsin.labels import LabelStore, item_label
from tocsin.search import search_client
from tocsin.settings import SearchSettings


def test_tocsin_labels_export_writes_one_file_per_category(search_settings: SearchSettings, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from tocsin_launch.cli import main

    index = f"labels-{uuid.uuid4().hex[:8]}"

    async def seed() -> None:
        es = search_client(search_settings)
        try:
            store = LabelStore(es, index)
            await store.add(item_label(doc(1), "violence_report", "misclassified", actor="ana", at=AT))
            await store.add(item_label(doc(2, categories={"hate_speech": 0.9}), "hate_speech", "confirmed",
                                       actor="bo", at=AT))
        finally:
            await es.close()

    asyncio.run(seed())
    for name, value in (("TOCSIN_SEARCH__URL", search_settings.url),
                        ("TOCSIN_SEARCH__NODE_CLASS", search_settings.node_class),
                        ("TOCSIN_SEARCH__LABELS_INDEX", index)):
        monkeypatch.setenv(name, value)
    assert main(["labels", "export", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hate_speech.csv", "violence_report.csv"]
    hate = list(csv.DictReader((tmp_path / "hate_speech.csv").open(encoding="utf-8")))
    assert [(r["text"], r["label"]) for r in hate] == [("Title 2\nText 2", "hateful")]
    violence = list(csv.DictReader((tmp_path / "violence_report.csv").open(encoding="utf-8")))
    assert [(r["text"], r["violent"], r["labelled_by"]) for r in violence] == [
        ("Title 1\nText 1", "0", "ana")]
    assert "violence_report: 1 labelled items" in capsys.readouterr().err
    assert main(["labels", "export", "-o", str(tmp_path / "new" / "dir")]) == 0
    assert (tmp_path / "new" / "dir" / "hate_speech.csv").is_file()
    (tmp_path / "file").write_text("")
    assert main(["labels", "export", "-o", str(tmp_path / "file")]) == 2
