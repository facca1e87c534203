"""Checks on image files a project supplies (the client logo)."""

from __future__ import annotations

from pathlib import Path

_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def image_mime(path: Path) -> str:
    return _MIME[path.suffix.lower()]


def check_image(path: Path) -> None:
    """Raise ``ValueError`` unless ``path`` is a readable PNG, JPEG or SVG image."""
    suffix = path.suffix.lower()
    if suffix not in _MIME:
        raise ValueError(f"{path.name}: logo must be a PNG, JPEG or SVG file")
    if suffix == ".svg":
        _check_svg(path)
        return
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
            fmt = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(f"{path.name}: not a valid image file") from None
    expected = "PNG" if suffix == ".png" else "JPEG"
    if fmt != expected:
        raise ValueError(f"{path.name}: file extension says {expected} but the file is {fmt}")


#: Largest SVG logo read (bytes); logos are a few kilobytes.
MAX_SVG_BYTES = 5_000_000


def _check_svg(path: Path) -> None:
    """A well-formed SVG that refers to nothing outside itself: no DTD or entities, and every
    href, src or CSS url() is a fragment (#id) or a data: URL. The report embeds the logo, and
    the PDF renderer would otherwise be asked to fetch whatever the SVG names."""
    import re
    import xml.etree.ElementTree as ET

    raw = path.read_bytes()
    if len(raw) > MAX_SVG_BYTES:
        raise ValueError(f"{path.name}: SVG logo larger than {MAX_SVG_BYTES // 1_000_000} MB")
    if re.search(rb"<!DOCTYPE|<!ENTITY", raw, re.I):
        raise ValueError(f"{path.name}: SVG with a DOCTYPE or entities is not accepted (remove the <!DOCTYPE …> line)")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ValueError(f"{path.name}: not a valid SVG image ({exc})") from None
    if root.tag.rsplit("}", 1)[-1] != "svg":
        raise ValueError(f"{path.name}: not an SVG image (root element is <{root.tag}>)")
    external = re.compile(r"url\(\s*['\"]?(?!#|data:)([^)'\"]*)", re.I)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "script":
            raise ValueError(f"{path.name}: SVG logo contains a <script> element")
        for attr, value in element.attrib.items():
            local = attr.rsplit("}", 1)[-1]
            value = value.strip()
            if local in ("href", "src") and value and not value.startswith(("#", "data:")):
                raise ValueError(f"{path.name}: SVG logo refers to an external resource ({value[:60]}); "
                                 "embed it or remove it")
            match = external.search(value) if local == "style" else None
            if match:
                raise ValueError(f"{path.name}: SVG logo refers to an external resource ({match.group(1)[:60]})")
        if tag == "style" and element.text:
            match = external.search(element.text) or re.search(r"@import", element.text, re.I)
            if match:
                raise ValueError(f"{path.name}: SVG logo's style refers to an external resource")
