"""An evaluation file comes from elsewhere: entity bombs and external entities are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.evaluation.places import EvalFileError, read_articles

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE articles [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<articles><article><text>&lol4;</text></article></articles>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE articles [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<articles><article><text>&secret;</text></article></articles>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_entity_declarations_are_refused_not_expanded(tmp_path: Path, document: str) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(EvalFileError, match=r"not readable XML.*[Ee]ntit"):
        read_articles(path)
