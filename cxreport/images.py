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


def _check_svg(path: Path) -> None:
    import xml.etree.ElementTree as ET

    try:
        for _event, element in ET.iterparse(path, events=("start",)):
            if element.tag.rsplit("}", 1)[-1] != "svg":
                raise ValueError(f"{path.name}: not an SVG image (root element is <{element.tag}>)")
            return
    except ET.ParseError as exc:
        raise ValueError(f"{path.name}: not a valid SVG image ({exc})") from None
    raise ValueError(f"{path.name}: empty SVG file")
