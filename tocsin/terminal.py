"""Showing scraped text on a terminal without letting it drive the terminal.

A post can carry escape sequences (ESC, or the one-byte C1 CSI) that recolour,
move the cursor, retitle the window, rewrite earlier lines or, on some
terminals, answer back into the input; a carriage return or backspaces can
overwrite what was printed before it; bidirectional overrides can reorder what
the reader sees. Everything of that kind is shown as a visible ``\\x1b``-style
escape instead. Letters of every script, and the joiners and marks Arabic,
Persian and Indic text need, are kept.
"""

from __future__ import annotations

import unicodedata

# Bidi embeddings/overrides/isolates and the line/paragraph separators. LRM/RLM,
# ZWJ and ZWNJ are left alone: real text in many scripts needs them, and they do
# not reorder anything beyond their own position.
_FORMAT_ESCAPED = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\u061c")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, one_line: bool = True) -> str:
    """``text`` safe to print: control and reordering characters become visible escapes.

    With ``one_line`` (table cells), newlines and tabs become spaces; otherwise
    they are kept and every other control character is escaped.
    """
    if text is None:
        return ""
    out: list[str] = []
    for char in str(text):
        if char in "\n\t\r" and one_line:
            out.append(" ")
        elif char in "\n\t" and not one_line:
            out.append(char)
        elif char in _FORMAT_ESCAPED or unicodedata.category(char) == "Cc":
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)
