"""Template hygiene: translated strings in {{ _("…") }} must double a literal percent sign
(Jinja's new-style gettext formats them), or the build fails at render time. Named
placeholders (``_("%(low)s to %(high)s", low=…, high=…)``) are the only single ``%``."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_percent_signs_in_gettext_calls_are_doubled():
    bad = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"""_\((["'])(.*?)\1\s*[,)]""", path.read_text(encoding="utf-8")):
            if re.search(r"(?<!%)%(?!%|\(\w+\)[sd])", match.group(2)):
                bad.append(f"{path.name}: {match.group(0)}")
    assert not bad, "single % in gettext strings: " + "; ".join(bad)


def test_the_hygiene_check_catches_a_single_percent():
    """The pattern above flags a lone % and accepts %% and named placeholders."""
    pattern = r"(?<!%)%(?!%|\(\w+\)[sd])"
    assert re.search(pattern, "95% interval")
    assert not re.search(pattern, "95%% interval")
    assert not re.search(pattern, "%(low)s to %(high)s")
