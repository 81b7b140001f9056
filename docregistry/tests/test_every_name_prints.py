"""Every name the validator accepts prints: the shipped fonts draw each of its code points.

Issue 14 / SPEC 12. The walk covers every code point the name validator accepts; the PDF checks
render a review form and a certificate for a name from each block in a separate process whose
Fontconfig knows no font at all, and read back from the embedded font subsets that every
character of the name has a real glyph (never glyph 0, never an empty outline). PNGs of the
rendered pages go to ``test-artifacts/``.
"""

import functools
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from django.conf import settings
from fontTools.ttLib import TTFont

from docregistry import fonts
from docregistry.public import certificates
from docregistry.registrations import reviewform
from docregistry.validators import GB18030_HANZI_RANGES, NAME_PATTERN
from publicregister.tests.helpers import registered

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
# A name from each block; the extension names hold one character drawn by each face.
NAMES = {
    "uro": "张伟",
    "compat": "山﨑",
    "ext-a": "刘䶮",
    "ext-b": "王𠮷𠁫",
    "ext-c": "李𪟝𪝤",
    "ext-d": "陈𫝆𫞵",
    "ext-e": "赵𫢸𫢄",
    "ext-f": "周𭕄𬼔",
}
SHIPPED = {"Noto Sans SC Subset", "DocRegistry Hanzi Ext"}  # the faces' names in their embedded subsets
LONG_NAME = "欧阳𠮷𫢸䶮" * 5  # 25 hanzi, the longest name the rules ask for


def shipped_cmaps() -> list[tuple[str, TTFont, dict]]:
    faces = []
    for path, _ranges in fonts.pdf_faces():
        font = TTFont(path, lazy=True)
        faces.append((path.name, font, font.getBestCmap()))
    return faces


@functools.cache
def accepted_code_points() -> tuple[int, ...]:
    return tuple(cp for cp in range(0x110000) if NAME_PATTERN.match(chr(cp)))


def test_every_code_point_the_validator_accepts_has_a_glyph_in_the_shipped_fonts():
    accepted = accepted_code_points()
    assert len(accepted) == 87_887 + 1  # the hanzi of GB 18030-2022 and the middle dot
    assert {cp for start, end in GB18030_HANZI_RANGES for cp in range(start, end + 1)} == set(accepted) - {0xB7}
    missing, empty = [], []
    faces = [(cmap, font["loca"], font.getReverseGlyphMap()) for _file, font, cmap in shipped_cmaps()]
    for cp in accepted:
        for cmap, loca, gids in faces:
            if cp in cmap:
                gid = gids[cmap[cp]]
                if gid == 0 or loca[gid + 1] == loca[gid]:  # .notdef, or an outline with no data
                    empty.append(f"U+{cp:04X}")
                break
        else:
            missing.append(f"U+{cp:04X}")
    assert missing == [] and empty == []


def test_each_declared_unicode_range_is_exactly_what_its_face_draws():
    """Fontconfig (PDF) and browsers (pages) trust unicode-range: a face never claims a character it lacks."""

    def parse(ranges: str) -> set[int]:
        cps = set()
        for part in ranges.split(","):
            start, _, end = part.strip().removeprefix("U+").partition("-")
            cps.update(range(int(start, 16), int(end or start, 16) + 1))
        return cps

    declared_pdf = [parse(ranges) for _path, ranges in fonts.pdf_faces()]
    assert [set(cmap) for _f, _font, cmap in shipped_cmaps()] == declared_pdf
    assert not declared_pdf[0] & declared_pdf[1]

    css = (FONTS / "hanzi.css").read_text()
    slices = re.findall(r'url\("(web/[\w-]+\.woff2)"\) format\("woff2"\);[^}]*unicode-range: ([^;]+);', css)
    assert len(slices) == len(list((FONTS / "web").glob("*.woff2"))) > 10
    web = set()
    for url, ranges in slices:
        cps = parse(ranges)
        assert set(TTFont(FONTS / url, lazy=True).getBestCmap()) == cps, url
        assert not web & cps
        web |= cps
        assert (FONTS / url).stat().st_size < 600 * 1024  # a page with one rare name downloads little
    outside_uro = {cp for cp in accepted_code_points() if not 0x4E00 <= cp <= 0x9FFF and cp != 0xB7}
    assert web == outside_uro


def test_the_fonts_are_licensed_and_the_folder_stays_small():
    assert "SIL OPEN FONT LICENSE" in (FONTS / "OFL.txt").read_text()
    hanazono = (FONTS / "HANAZONO-LICENSE.txt").read_text()
    assert "Hanazono Font License" in hanazono and "HanziExt-Subset.ttf" in hanazono
    total = sum(f.stat().st_size for f in FONTS.rglob("*") if f.is_file())
    assert total < 60 * 1024 * 1024
    assert json.loads((FONTS / "faces.json").read_text())["family"] == reviewform.FONT_FAMILY


# ---- PDFs rendered where Fontconfig knows no font ----------------------------------------

RENDER = """
import os, sys, django
django.setup()
from docregistry.registrations import reviewform
from docregistry.public import certificates
for source in sys.argv[1:]:
    html = open(source, encoding="utf-8").read()
    write = certificates._write_pdf if source.endswith(".certificate.html") else reviewform._write_pdf
    open(source + ".pdf", "wb").write(write(html))
"""


def render_without_system_fonts(tmp_path, sources: dict[str, str]) -> tuple[dict[str, bytes], str]:
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><cachedir>{tmp_path / "fc"}</cachedir></fontconfig>\n')
    files = []
    for key, html in sources.items():
        path = tmp_path / key
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "DJANGO_SETTINGS_MODULE": "docregistry.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", RENDER, *files], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return {key: (tmp_path / f"{key}.pdf").read_bytes() for key in sources}, done.stderr


def to_unicode(stream: bytes) -> dict[int, str]:
    """CID → text of a ToUnicode CMap (bfchar and bfrange entries)."""
    text, mapping = stream.decode("latin-1"), {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for cid, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for start, end, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = ord(bytes.fromhex(uni).decode("utf-16-be"))
            for offset, cid in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[cid] = chr(first + offset)
    return mapping


def drawn_characters(pdf: bytes) -> dict[str, list[tuple[str, int, int]]]:
    """Each character any embedded font draws → (font, glyph id, contours of that glyph)."""
    drawn = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert descendant.get("/CIDToGIDMap", "/Identity") == "/Identity"
            program = descendant["/FontDescriptor"]["/FontFile2"].get_data()
            face = TTFont(io.BytesIO(program))
            label = face["name"].getDebugName(1) if "name" in face else None
            order = face.getGlyphOrder()
            for cid, text in to_unicode(font["/ToUnicode"].get_data()).items():
                contours = face["glyf"][order[cid]].numberOfContours if cid < len(order) else 0
                for char in text:
                    drawn.setdefault(char, []).append((label or str(font["/BaseFont"]), cid, contours))
    return drawn


def save_png(pdf: bytes, name: str, page: int = 0) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    path = ARTIFACTS / f"{name}.png"
    document[page].render(scale=1.5).to_pil().save(path)
    return path


def review_form_html(world, name: str):
    app = world.submitted(name=name)
    return reviewform.review_form_html([app])


def certificate_html(world, name: str) -> str:
    world.physician.real_name = name
    world.physician.save(update_fields=["real_name"])
    issued = certificates.certificate_issue(registration=registered(world))
    return certificates.certificate_html(issued)


@pytest.mark.django_db
def test_a_name_from_each_block_prints_with_real_glyphs_on_a_machine_without_fonts(world, tmp_path):
    sources = {f"{key}.form.html": review_form_html(world, name) for key, name in NAMES.items()}
    sources["ext-b.certificate.html"] = certificate_html(world, NAMES["ext-b"])
    pdfs, stderr = render_without_system_fonts(tmp_path, sources)

    assert "WARNING" not in stderr and "cannot be loaded" not in stderr, stderr
    for key, pdf in pdfs.items():
        name = NAMES[key.split(".")[0]]
        drawn = drawn_characters(pdf)
        assert all(cid != 0 for uses in drawn.values() for _font, cid, _c in uses), key  # nothing maps to glyph 0
        for char in name:
            assert char in drawn, (key, char)
            assert all(cid != 0 and contours != 0 for _font, cid, contours in drawn[char]), (key, char, drawn[char])
            assert {font for font, _cid, _c in drawn[char]} <= SHIPPED, drawn[char]
        save_png(pdf, f"every-name-{key.replace('.html', '')}", page=0 if "certificate" in key else 1)
    # Only the faces a document uses are embedded: a common name needs no extension face.
    assert faces_in(pdfs["uro.form.html"]) == {"Noto Sans SC Subset"}
    assert faces_in(pdfs["ext-f.form.html"]) == SHIPPED
    assert len(pdfs["ext-f.form.html"]) < 1.5 * len(pdfs["uro.form.html"])


def faces_in(pdf: bytes) -> set[str]:
    return {font for uses in drawn_characters(pdf).values() for font, _cid, _c in uses}


# ---- 25 hanzi wrap inside their cell ----------------------------------------------------


def name_lines(document, name: str) -> list[tuple[float, float, float, float]]:
    """(left, right, cell left, cell right) of each laid-out line of ``name``, in its table cell."""
    from weasyprint.formatting_structure import boxes

    found = []

    def walk(box, cell):
        if isinstance(box, boxes.TableCellBox):
            cell = box
        if isinstance(box, boxes.TextBox) and box.text and set(box.text) <= set(name) and cell is not None:
            left = cell.content_box_x()
            found.append((box.position_x, box.position_x + box.width, left, left + cell.width))
        for child in getattr(box, "children", ()):
            walk(child, cell)

    for page in document.pages:
        walk(page._page_box, None)
    return found


@pytest.mark.django_db
def test_a_25_hanzi_name_wraps_inside_its_cell_on_the_review_form_and_the_certificate(world):
    from weasyprint import HTML

    assert len(LONG_NAME) == 25 and NAME_PATTERN.match(LONG_NAME)
    font_config, css, _ua = reviewform._weasyprint_setup()
    form = HTML(string=review_form_html(world, LONG_NAME)).render(stylesheets=[css], font_config=font_config)
    font_config, css = certificates._weasyprint_setup()
    certificate = HTML(string=certificate_html(world, LONG_NAME)).render(stylesheets=[css], font_config=font_config)
    for document in (form, certificate):
        lines = name_lines(document, LONG_NAME)
        assert len({round(left) for left, *_ in lines}) >= 1 and len(lines) >= 2, lines  # it wraps …
        for left, right, cell_left, cell_right in lines:
            assert cell_left - 0.5 <= left and right <= cell_right + 0.5, lines  # … and stays in its cell
    save_png(form.write_pdf(), "every-name-25-hanzi.form", page=1)
    save_png(certificate.write_pdf(), "every-name-25-hanzi.certificate")
