"""Template hygiene: translated strings in {{ _("…") }} must double a literal percent sign
(Jinja's new-style gettext formats them), or the build fails at render time."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_percent_signs_in_gettext_calls_are_doubled():
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"""_\((["'])(.*?)\1\)""", path.read_text(encoding="utf-8")):
            if re.search(r"(?<!%)%(?!%)", match.group(2)):
                bad.append(f"{path.name}: {match.group(0)}")
    assert not bad, "single % in gettext strings: " + "; ".join(bad)
