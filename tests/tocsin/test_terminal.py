"""Hostile text on a terminal, and hostile cells in a spreadsheet."""

from __future__ import annotations

import csv
import io
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from tocsin.exporting import CsvWriter, neutralise_formula
from tocsin.terminal import printable

REORDERING = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\u061c")


@given(st.text())
def test_printable_text_has_no_control_or_reordering_characters(text: str) -> None:
    shown = printable(text)
    assert not any(unicodedata.category(c) == "Cc" or c in REORDERING for c in shown)


@given(st.text())
def test_multi_line_printable_keeps_only_newlines_and_tabs(text: str) -> None:
    shown = printable(text, one_line=False)
    assert all(c in "\n\t" for c in shown if unicodedata.category(c) == "Cc")


def test_escapes_are_visible_and_scripts_are_kept() -> None:
    assert printable("\x1b[2J\x9b\u202eX") == "\\x1b[2J\\x9b\\u202eX"
    persian = "می\u200cخواهم"  # the zero-width non-joiner is part of the word
    assert printable(persian) == persian
    assert printable("a\nb\tc") == "a b c"


@given(st.text())
def test_no_cell_can_start_a_formula(value: str) -> None:
    cell = neutralise_formula(value)
    assert cell.startswith("'") or not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.endswith(value)


def test_csv_for_a_terminal_escapes_control_characters_but_keeps_lines() -> None:
    out = io.StringIO(newline="")
    CsvWriter(out, for_terminal=True).write({"id": "x", "title": "=1\x1b[2J", "text": "a\nb\x9b"})
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
    row = next(iter(csv.DictReader(io.StringIO(out.getvalue(), newline=""))))
    assert row["title"] == "'=1\\x1b[2J" and row["text"] == "a\nb\\x9b"
