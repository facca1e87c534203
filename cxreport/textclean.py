"""One place where text from data meets an output format.

Text that comes from a survey file, a scoresheet, a file name or a project file can hold
characters an output cannot carry or must not obey:

- :func:`for_xml` — for every XML-based output (XLSX cells and sheet names, PPTX runs, the
  HTML report): characters XML 1.0 forbids are dropped, and the vertical tab and form feed
  that Word writes for a soft line break or page break become a line break. Without this one
  ``\\v`` in a segment value makes openpyxl refuse the whole workbook.
- :func:`for_console` — for every line printed to a terminal (warnings, errors, ``shop``
  listings): escape sequences and other control characters are shown as visible escapes
  (``\\x1b[2K``), so data cannot move the cursor, erase the line that reported a rejection or
  retitle the window.

Both keep ordinary text, including every script, unchanged.
"""

from __future__ import annotations

import re

#: XML 1.0 forbids C0 controls other than tab, line feed and carriage return, lone
#: surrogates, and U+FFFE / U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\x0b\x0c]")

#: Terminal control: ESC-introduced sequences (CSI, OSC, single-character), other C0
#: controls but tab and line feed, DEL and C1 controls (including the 8-bit CSI U+009B).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_xml(text: str) -> str:
    """``text`` with what XML cannot hold removed (soft line and page breaks → ``\\n``)."""
    text = _BREAKS.sub("\n", text)
    return _XML_ILLEGAL.sub("", text)


def _visible(match: re.Match) -> str:
    ch = match.group(0)
    return f"\\x{ord(ch):02x}"


def for_console(text: str) -> str:
    """``text`` safe to print to a terminal: control characters (escape sequences included)
    shown as ``\\xNN``; tab and line feed kept."""
    return _CONTROL.sub(_visible, text)
