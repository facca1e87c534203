"""Evidence files sent with a scoresheet (issue 14): a ZIP of one scoresheet and its photos,
receipts and recordings, stored in the ledger with their SHA-256, linked to visit and item,
listed and extracted byte for byte by `shop files`, shown as thumbnails on the scoresheet.
Hostile ZIPs (traversal names, wrong types, bombs, oversize) are refused with one line and
recorded as rejected."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from shop_helpers import REPO, SHOP_SAMPLE, copy_sample

from cxreport.cli import cli
from cxreport.shop import evidence as ev
from cxreport.shop.ledger import Ledger
from cxreport.shop.loadprog import load_programme

SAMPLE_VISIT = json.loads((SHOP_SAMPLE / "submissions" / "wave1" / "V-W1-0003.json").read_text(encoding="utf-8"))


def shop(*args):
    return CliRunner().invoke(cli, ["shop", *[str(a) for a in args]])


@pytest.fixture
def sample(tmp_path) -> Path:
    return copy_sample(tmp_path)


def photo(width: int = 400, height: int = 300, *, orientation: int | None = None, gps: bool = False) -> bytes:
    """A JPEG with a white block in its top-left corner (to see which way up it is shown)."""
    img = Image.new("RGB", (width, height), (200, 40, 40))
    ImageDraw.Draw(img).rectangle([0, 0, width // 4, height // 4], fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (120, 80), (0, 100, 200, 100)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(64)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(32)


def visit(visit_id: str = "V-W1-E001", **answers) -> dict:
    data = copy.deepcopy(SAMPLE_VISIT)
    data["visit_id"] = visit_id
    data["start_time"] = "08:0" + str(len(visit_id) % 10)        # not the content of V-W1-0003
    data["answers"].update(answers)
    return data


def bundle(path: Path, members: dict[str, bytes], scoresheet: dict | None = None, name: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if scoresheet is not None:
            z.writestr(name or f"{scoresheet['visit_id']}.json", json.dumps(scoresheet))
        for member, data in members.items():
            z.writestr(member, data)
    return path


def one_error(result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def db(sample: Path) -> sqlite3.Connection:
    return sqlite3.connect(sample.parent / "ledger.sqlite")


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("data, media", [(photo(), "image/jpeg"), (png(), "image/png"), (PDF, "application/pdf"),
                                         (WAV, "audio/wav"), (MP3, "audio/mpeg"), (M4A, "audio/mp4"),
                                         (b"MZ\x90\x00" + bytes(60), None), (b"<html>", None), (b"", None),
                                         (b"PK\x03\x04" + bytes(30), None)])
def test_types_come_from_the_content(data, media):
    assert ev.sniff(data) == media


# --------------------------------------------------------------------------- round trip


def test_a_zip_of_scoresheet_and_evidence_is_stored_linked_listed_and_extracted_byte_for_byte(sample, tmp_path):
    files = {"kfd.jpg": photo(orientation=6, gps=True), "receipt.pdf": PDF, "door.png": png(), "call.wav": WAV,
             "call.mp3": MP3, "memo.m4a": M4A}
    data = visit(S2={"answer": "yes", "evidence": "kfd.jpg; receipt.pdf"},
                 A1={"answer": "yes", "evidence": "photos/door.png"},
                 C1={"answer": "yes", "evidence": "call.wav;call.mp3;memo.m4a"})
    path = bundle(tmp_path / "V-W1-E001.zip", {("photos/" + k if k == "door.png" else k): v for k, v in files.items()},
                  data)
    result = shop("submit", sample, path)
    assert result.exit_code == 0, result.output
    assert "V-W1-E001.zip: accepted (1 of 1 visits accepted)" in result.stdout

    with db(sample) as conn:
        stored = {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT name, sha256, size, media_type FROM evidence")}
        links = set(conn.execute("SELECT e.name, v.visit_id, l.item_id FROM evidence_links l JOIN evidence e ON "
                                 "e.id = l.evidence_id JOIN visits v ON v.id = l.visit_row"))
        zip_row = conn.execute("SELECT sha256, status FROM files WHERE name = 'V-W1-E001.zip'").fetchone()
    assert zip_row == (hashlib.sha256(path.read_bytes()).hexdigest(), "accepted")     # the ZIP itself is kept too
    assert {k: v[0] for k, v in stored.items()} == {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}
    assert stored["kfd.jpg"][2] == "image/jpeg" and stored["receipt.pdf"][2] == "application/pdf"
    assert stored["memo.m4a"][2] == "audio/mp4"
    assert links == {("kfd.jpg", "V-W1-E001", "S2"), ("receipt.pdf", "V-W1-E001", "S2"),
                     ("door.png", "V-W1-E001", "A1"), ("call.wav", "V-W1-E001", "C1"),
                     ("call.mp3", "V-W1-E001", "C1"), ("memo.m4a", "V-W1-E001", "C1")}

    listing = shop("files", sample)
    assert listing.exit_code == 0, listing.output
    rows = [ln.split("\t") for ln in listing.stdout.splitlines()[1:]]
    evidence_rows = {r[-1]: r for r in rows if r[0].startswith("e")}
    assert set(evidence_rows) == set(files)
    assert evidence_rows["kfd.jpg"][3] == "evidence of V-W1-E001 S2"
    assert evidence_rows["kfd.jpg"][5] == hashlib.sha256(files["kfd.jpg"]).hexdigest()
    assert any(r[-1] == "V-W1-E001.zip" and r[3] == "accepted" for r in rows)

    out = tmp_path / "back"
    extracted = shop("files", sample, "--extract", out)
    assert extracted.exit_code == 0, extracted.output
    assert (out / "V-W1-E001.zip").read_bytes() == path.read_bytes()
    assert {p.name: p.read_bytes() for p in (out / "evidence").iterdir()} == files        # byte for byte
    again = shop("files", sample, "--extract", out)                                       # harmless twice
    assert again.exit_code == 0 and "already there, identical" in again.stdout
    assert sorted(p.name for p in (out / "evidence").iterdir()) == sorted(files)


def test_the_same_zip_again_is_unchanged_and_stores_nothing_twice(sample, tmp_path):
    path = bundle(tmp_path / "v.zip", {"kfd.jpg": photo()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    assert shop("submit", sample, path).exit_code == 0
    again = shop("submit", sample, path)
    assert again.exit_code == 0 and "v.zip: unchanged" in again.stdout
    with db(sample) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 1


def test_a_referenced_file_missing_from_the_zip_rejects_the_visit_where_the_item_requires_evidence(sample, tmp_path):
    path = bundle(tmp_path / "V-W1-E002.zip", {"door.png": png()},
                  visit("V-W1-E002", S2={"answer": "yes", "evidence": "kfd.jpg"},
                        A1={"answer": "yes", "evidence": "door.png"}))
    result = shop("submit", sample, path)
    one_error(result)
    lines = [ln for ln in result.stderr.splitlines() if "kfd.jpg" in ln]
    assert lines == ["  V-W1-E002.zip: visit V-W1-E002: item S2: evidence file kfd.jpg is not in V-W1-E002.zip"]
    with db(sample) as conn:     # recorded as rejected, its evidence kept all the same (nothing lost)
        assert conn.execute("SELECT status FROM visits WHERE visit_id = 'V-W1-E002'").fetchone()[0] == "rejected"
        assert conn.execute("SELECT name FROM evidence").fetchall() == [("door.png",)]


def test_a_missing_file_for_an_item_without_the_requirement_is_a_warning(sample, tmp_path):
    path = bundle(tmp_path / "V-W1-E003.zip", {"kfd.jpg": photo()},
                  visit("V-W1-E003", S2={"answer": "yes", "evidence": "kfd.jpg"},
                        A1={"answer": "yes", "evidence": "door.png"}))
    result = shop("submit", sample, path)
    assert result.exit_code == 0, result.output
    assert "visit V-W1-E003: warning: item A1: evidence file door.png is not in V-W1-E003.zip" in result.stderr


def test_outside_a_zip_evidence_stays_a_reference(sample, tmp_path):
    plain = tmp_path / "V-W1-E004.json"
    plain.write_text(json.dumps(visit("V-W1-E004", S2={"answer": "yes", "evidence": "kfd.jpg"})), encoding="utf-8")
    assert shop("submit", sample, plain).exit_code == 0
    with db(sample) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 0


def test_a_file_in_the_zip_that_no_answer_names_is_stored_with_a_note(sample, tmp_path):
    path = bundle(tmp_path / "v.zip", {"kfd.jpg": photo(), "extra.png": png()},
                  visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    result = shop("submit", sample, path)
    assert result.exit_code == 0, result.output
    assert "note: 1 evidence file(s) in the ZIP named by no answer, stored unlinked: extra.png" in result.stderr
    assert "evidence (named by no visit)\t" in shop("files", sample).stdout


# --------------------------------------------------------------------------- hostile ZIPs


def _bomb_member() -> bytes:
    return b"\xff\xd8\xff" + bytes(30_000_000)         # "a JPEG" of 30 MB of zeros: packs to ~30 KB


HOSTILE = {
    "traversal": ({"../../evil.jpg": photo()}, "climbs out of the ZIP"),
    "absolute": ({"/etc/evil.jpg": photo()}, "is an absolute path"),
    "drive": ({"C:\\evil.jpg": photo()}, "is an absolute path"),
    "control": ({"evil\x1b[2K.jpg": photo()}, "has control characters"),
    "wrong type": ({"kfd.jpg": b"MZ\x90\x00" + bytes(200)}, "is not a JPEG, PNG, PDF, MP3, M4A or WAV file"),
    "html as pdf": ({"kfd.pdf": b"<html><script>alert(1)</script></html>"}, "is not a JPEG, PNG, PDF"),
    "broken jpeg": ({"kfd.jpg": b"\xff\xd8\xff\xe0" + bytes(40)}, "not a readable image"),
    "two scoresheets": ({"second.csv": b"visit_id\n"}, "exactly one scoresheet"),
    "same name twice": ({"kfd.jpg": photo(), "sub/KFD.jpg": photo(10, 10)}, "two files named 'kfd.jpg'"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_zips_are_refused_with_one_line_and_recorded(sample, tmp_path, case):
    members, words = HOSTILE[case]
    path = bundle(tmp_path / "hostile.zip", members, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    result = shop("submit", sample, path)
    stderr = one_error(result, words)
    assert "\x1b" not in result.output
    assert "hostile.zip: rejected" in result.stdout
    with db(sample) as conn:
        assert conn.execute("SELECT status FROM files WHERE name = 'hostile.zip'").fetchone()[0] == "rejected"
        assert conn.execute("SELECT COUNT(*) FROM evidence").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0
    assert len([ln for ln in stderr.splitlines() if "hostile.zip:" in ln]) == 1


def test_a_packing_bomb_is_refused_before_it_is_unpacked(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "MAX_EVIDENCE_BYTES", 100_000_000)            # the ratio check, not the size, refuses it
    path = bundle(tmp_path / "bomb.zip", {"kfd.jpg": _bomb_member()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    assert path.stat().st_size < 200_000
    one_error(shop("submit", sample, path), "unpacks from", "at most 200 to 1")


def test_an_evidence_file_over_the_size_limit_is_refused(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "MAX_EVIDENCE_BYTES", 2_000)
    path = bundle(tmp_path / "big.zip", {"kfd.jpg": photo()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    one_error(shop("submit", sample, path), "evidence file 'kfd.jpg' is", "at most 2.0 KB is accepted")


def test_a_zip_over_the_size_limit_is_refused(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "MAX_BUNDLE_BYTES", 1_000)
    path = bundle(tmp_path / "big.zip", {"kfd.jpg": photo()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    one_error(shop("submit", sample, path), "may be at most 1.0 KB")


def test_a_zip_without_a_scoresheet_or_not_a_zip(sample, tmp_path):
    path = bundle(tmp_path / "photos.zip", {"kfd.jpg": photo()})
    one_error(shop("submit", sample, path), "must hold exactly one scoresheet", "holds 0")
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"not a zip at all")
    one_error(shop("submit", sample, fake), "fake.zip: not a readable ZIP")


def test_a_huge_image_is_refused_unopened(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "MAX_IMAGE_PIXELS", 10_000)
    path = bundle(tmp_path / "big.zip", {"kfd.jpg": photo(400, 300)}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    one_error(shop("submit", sample, path), "400 × 300 pixels")


def test_a_zip_scoresheet_that_is_itself_bad_names_the_member(sample, tmp_path):
    path = tmp_path / "v.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("visit.json", '{"visit_id": "V-1", "visit_id": "V-2"}')
    one_error(shop("submit", sample, path), "v.zip: visit.json: duplicate key 'visit_id'")


# --------------------------------------------------------------------------- damaged blobs, old ledgers


def test_a_damaged_evidence_blob_does_not_stop_the_rest(sample, tmp_path):
    files = {"a.jpg": photo(), "b.png": png(), "c.pdf": PDF}
    path = bundle(tmp_path / "v.zip", files, visit(S2={"answer": "yes", "evidence": "a.jpg;b.png;c.pdf"}))
    assert shop("submit", sample, path).exit_code == 0
    with db(sample) as conn:
        conn.execute("UPDATE evidence SET content = ? WHERE name = 'b.png'", (b"\x89PNG damaged",))
    out = tmp_path / "back"
    result = shop("files", sample, "--extract", out)
    assert result.exit_code == 3, result.output
    assert re.search(r"#e\d+ b\.png: not extracted: .*do not match the SHA-256", result.stderr), result.stderr
    assert {p.name: p.read_bytes() for p in (out / "evidence").iterdir()} == {"a.jpg": files["a.jpg"],
                                                                                "c.pdf": PDF}
    assert (out / "v.zip").read_bytes() == path.read_bytes()
    prog = load_programme(sample)
    with Ledger(prog) as ledger:
        rows = [r[0] for r in ledger.conn.execute("SELECT id FROM visits")]
        shown = ev.evidence_by_visit(ledger.conn, rows)[rows[0]]["S2"]
    by_name = {f["name"]: f for f in shown}
    assert by_name["a.jpg"]["thumb"].startswith("data:image/jpeg;base64,") and by_name["a.jpg"]["problem"] is None
    assert by_name["b.png"]["thumb"] is None and "do not match" in by_name["b.png"]["problem"]
    assert by_name["c.pdf"]["thumb"] is None and by_name["c.pdf"]["problem"] is None


def test_an_existing_ledger_gains_the_evidence_tables(sample, tmp_path):
    plain = tmp_path / "V-W1-E005.json"
    plain.write_text(json.dumps(visit("V-W1-E005")), encoding="utf-8")
    assert shop("submit", sample, plain).exit_code == 0
    with db(sample) as conn:                  # as a ledger made before evidence files looked
        conn.execute("DROP TABLE evidence_links")
        conn.execute("DROP TABLE evidence")
    listing = shop("files", sample)
    assert listing.exit_code == 0 and "V-W1-E005.json" in listing.stdout
    path = bundle(tmp_path / "v.zip", {"kfd.jpg": photo()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    assert shop("submit", sample, path).exit_code == 0
    with db(sample) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evidence_links").fetchone()[0] == 1


def test_a_submit_killed_after_the_blob_leaves_no_evidence(sample, tmp_path):
    path = bundle(tmp_path / "v.zip", {"kfd.jpg": photo()}, visit(S2={"answer": "yes", "evidence": "kfd.jpg"}))
    marker = tmp_path / "paused"
    env = {"CXREPORT_TEST_PAUSE": "mid-visits", "CXREPORT_TEST_PAUSE_FILE": str(marker),
           "PYTHONPATH": str(REPO)}
    import os

    proc = subprocess.Popen([sys.executable, "-m", "cxreport", "shop", "submit", str(sample), str(path)],
                            env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with db(sample) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("files", "visits", "evidence", "evidence_links")] == [0, 0, 0, 0]
    again = shop("submit", sample, path)
    assert again.exit_code == 0, again.output
    with db(sample) as conn:
        assert conn.execute("SELECT COUNT(*) FROM evidence_links").fetchone()[0] == 1


# --------------------------------------------------------------------------- the scoresheet


def test_thumbnails_are_small_upright_and_carry_no_metadata():
    uri = ev.thumbnail(photo(800, 600, orientation=6, gps=True))
    assert uri.startswith("data:image/jpeg;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert img.size[1] > img.size[0]                         # orientation 6: shown turned, portrait
    assert max(img.size) <= ev.THUMB_PIXELS
    assert dict(img.getexif()) == {} and "exif" not in img.info
    # The white corner block of the stored (landscape) picture is top-right once turned clockwise.
    rgb = img.convert("RGB")
    assert rgb.getpixel((img.size[0] - 5, 5))[1] > 200 and rgb.getpixel((5, 5))[1] < 100


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs).get("src", ""))


def test_the_scoresheet_shows_thumbnails_and_named_lines(sample, tmp_path):
    data = visit(S2={"answer": "yes", "evidence": "kfd.jpg; receipt.pdf"}, A1={"answer": "yes", "evidence": "call.mp3"})
    path = bundle(tmp_path / "v.zip", {"kfd.jpg": photo(gps=True), "receipt.pdf": PDF, "call.mp3": MP3}, data)
    assert shop("submit", sample, path).exit_code == 0
    out = tmp_path / "out"
    result = shop("report", sample, "--scoresheets", "--format", "html", "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    html = (out / "scoresheets" / "scoresheet-V-W1-E001.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(html)
    thumbs = [s for s in parser.srcs if s.startswith("data:image/jpeg")]
    assert len(thumbs) == 1
    assert all(s.startswith("data:") for s in parser.srcs)               # nothing fetched, no path
    assert str(sample.parent) not in html
    sha = hashlib.sha256(PDF).hexdigest()[:12]
    assert re.search(rf"receipt\.pdf · PDF document · {len(PDF)} bytes · SHA-256 {sha}", html)
    assert "call.mp3 · MP3 recording" in html
    img = Image.open(io.BytesIO(base64.b64decode(thumbs[0].split(",", 1)[1])))
    assert dict(img.getexif()) == {}                                     # no GPS in what is shown


def test_the_sample_bundles_show_on_the_scoresheets(tmp_path):
    """The shop sample's wave 3 photo uploads: accepted, linked, and the same scores as the
    JSON they replaced (evidence never changes a score)."""
    programme = copy_sample(tmp_path)
    zips = sorted((programme.parent / "submissions" / "wave3").glob("*.zip"))
    assert len(zips) == 3
    result = shop("submit", programme, *zips)
    assert result.exit_code == 0, result.output
    with db(programme) as conn:
        links = conn.execute("SELECT e.name, e.media_type, l.item_id FROM evidence e JOIN evidence_links l"
                             " ON l.evidence_id = e.id ORDER BY e.name").fetchall()
    kinds = {media for _n, media, _i in links}
    assert kinds == {"image/jpeg", "application/pdf"}
    assert {item for _n, _m, item in links} == {"A5", "S2"}
    for _name, _media, _item in links:
        assert _name.endswith(("V-W3-0019.jpg", "V-W3-0022.jpg", "V-W3-0023.pdf"))


def test_a_zip_of_too_many_files_is_refused_from_its_directory(sample, tmp_path):
    members = {f"p{k}.png": b"" for k in range(ev.MAX_BUNDLE_MEMBERS + 1)}
    path = bundle(tmp_path / "many.zip", members, visit())
    one_error(shop("submit", sample, path), f"many.zip: the ZIP holds {ev.MAX_BUNDLE_MEMBERS + 2} files; at most "
                                            f"{ev.MAX_BUNDLE_MEMBERS} are accepted")


def test_file_names_on_the_scoresheet_are_masked_like_the_evidence_field(sample, tmp_path):
    import yaml

    data = yaml.safe_load(sample.read_text(encoding="utf-8"))
    data["programme"]["mask_names"] = ["Owen"]
    sample.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    path = bundle(tmp_path / "v.zip", {"owen-receipt.pdf": PDF, "owen.jpg": photo()},
                  visit(S2={"answer": "yes", "evidence": "owen-receipt.pdf; owen.jpg"}))
    assert shop("submit", sample, path).exit_code == 0
    out = tmp_path / "out"
    assert shop("report", sample, "--scoresheets", "--format", "html", "-o", out, "-j", "1").exit_code == 0
    html = (out / "scoresheets" / "scoresheet-V-W1-E001.html").read_text(encoding="utf-8")
    assert "owen" not in html.lower()
    assert "[name]-receipt.pdf · PDF document" in html
