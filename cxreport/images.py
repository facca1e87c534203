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


#: Byte-order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
#: How the first characters ("<?" or "<") look without a mark (XML 1.0, appendix F).
_FIRST_BYTES = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<", "utf-16-be"),
                (b"<\x00", "utf-16-le"))


def svg_text(raw: bytes) -> str:
    """The text of an SVG file, decoded as XML says: by its byte-order mark (UTF-8, UTF-16
    or UTF-32, either byte order), else by the shape of its first bytes, else by the encoding
    its XML declaration names, else as UTF-8. Raises ``ValueError`` when it cannot be read."""
    encoding, start = None, 0
    for bom, name in _BOMS:
        if raw.startswith(bom):
            encoding, start = name, len(bom)
            break
    if encoding is None:
        encoding = next((name for first, name in _FIRST_BYTES if raw.startswith(first)), None)
    if encoding is None:
        import re

        declared = re.match(rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", raw)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return raw[start:].decode(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding '{encoding}'") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot be read as {encoding} ({exc.reason} at byte {exc.start + start})") from None


class _Doctype(Exception):
    pass


def _has_doctype(raw: bytes) -> bool:
    """Whether the XML parser itself meets a DOCTYPE or an entity declaration (in whatever
    encoding it reads the file)."""
    import xml.parsers.expat as expat

    def refuse(*_args) -> None:
        raise _Doctype

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.NotationDeclHandler = refuse
    try:
        parser.Parse(raw, True)
    except _Doctype:
        return True
    except expat.ExpatError:
        return False        # not well-formed: the parse below says so
    return False


def _check_svg(path: Path) -> None:
    """A well-formed SVG that refers to nothing outside itself: no DTD or entities, and every
    href, src or CSS url() is a fragment (#id) or a data: URL. The report embeds the logo, and
    the PDF renderer would otherwise be asked to fetch whatever the SVG names.

    The file is decoded as XML says (byte-order mark, then the encoding declaration) before
    anything is looked for, so a UTF-16 file is checked as thoroughly as a UTF-8 one; and the
    XML parser itself refuses a DOCTYPE in any encoding it reads."""
    import re
    import xml.etree.ElementTree as ET

    raw = path.read_bytes()
    if len(raw) > MAX_SVG_BYTES:
        raise ValueError(f"{path.name}: SVG logo larger than {MAX_SVG_BYTES // 1_000_000} MB")
    try:
        text = svg_text(raw)
    except ValueError as exc:
        raise ValueError(f"{path.name}: not a valid SVG image ({exc})") from None
    doctype = ValueError(f"{path.name}: SVG with a DOCTYPE or entities is not accepted (remove the <!DOCTYPE …> line)")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.I) or re.search(rb"<!DOCTYPE|<!ENTITY", raw, re.I) \
            or _has_doctype(raw):
        raise doctype
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


#: Width in pixels an SVG logo is rendered at for the PowerPoint deck (about 300 dpi at the
#: 3.4 in the title slide gives it).
DECK_LOGO_PX = 1000


def svg_to_png(path: Path, width_px: int = DECK_LOGO_PX) -> bytes:
    """A PNG of the SVG logo at ``path``, ``width_px`` wide (aspect kept, transparent background),
    for the PowerPoint deck, which cannot hold SVG.

    Rendered by resvg (the ``resvg-py`` wheel: the Rust renderer, no system library). The
    file is checked first (:func:`check_image`: no DOCTYPE, scripts or external references),
    and resvg fetches nothing; system fonts are loaded only when the logo has text.
    Raises ``ValueError`` when the SVG cannot be rendered."""
    _check_svg(path)
    try:
        import resvg_py
    except ImportError:                             # pragma: no cover - a dependency of cxreport
        raise ValueError(f"{path.name}: SVG logos need the resvg-py package for the deck") from None
    text = svg_text(path.read_bytes())
    try:
        png = resvg_py.svg_to_bytes(svg_string=text, width=int(width_px),
                                    skip_system_fonts="<text" not in text)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ValueError(f"{path.name}: cannot render the SVG logo ({exc})") from None
    return bytes(png)
