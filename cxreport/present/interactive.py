"""What the HTML report carries beyond markup and CSS: one small inline script (sortable
tables, ``templates/theme/report.js``) and a Content-Security-Policy that allows that
script by its hash, styles and ``data:`` images, and nothing else — so an opened report
cannot fetch anything from the network or run any other script. The PDF gets neither.
"""

from __future__ import annotations

import base64
import hashlib

from markupsafe import Markup

from cxreport.errors import RenderError
from cxreport.resources import theme_dir

SCRIPT_NAME = "report.js"


def script_text() -> str:
    text = (theme_dir() / SCRIPT_NAME).read_text(encoding="utf-8")
    if "</script" in text.lower() or "<!--" in text:
        raise RenderError(f"{SCRIPT_NAME}: the script must not contain '</script' or '<!--'")
    return text


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def html_extras(target: str) -> dict:
    """Template variables ``script`` and ``csp``: filled for the HTML target, empty for the PDF."""
    if target != "html":
        return {"script": "", "csp": ""}
    script = script_text()
    return {"script": Markup(script), "csp": content_security_policy(script)}
