"""Build the fonts shipped in ``static/fonts``: every hanzi of GB 18030-2022 prints and shows.

The name validator accepts exactly the 87,887 hanzi of GB 18030-2022
(``docregistry.validators.GB18030_HANZI_RANGES``: the URO to U+9FEF, the twelve
unified ideographs of the compatibility block, Extensions A–F). This script
makes the faces that draw all of them, and fails if one is left without a glyph.

For the PDFs (WeasyPrint; TrueType, registered once per process):

- ``NotoSansSC-Subset.ttf`` — the Simplified Chinese face of Noto Sans CJK
  (Debian ``fonts-noto-cjk``, SIL OFL 1.1, ``OFL.txt``): ASCII, Latin-1, the
  punctuation and form symbols of ``BASE_RANGES``, and every GB 18030 hanzi it
  has (the whole URO, Extension A and the compatibility ideographs, and 2,306
  characters of Extensions B–F). CFF outlines converted to TrueType, no hinting.
- ``HanziExt-Subset.ttf`` — the rest of Extensions B–F (58,011 characters)
  from HanaMinB (Debian ``fonts-hanazono``, GlyphWiki Project, used under the
  Hanazono Font License, ``HANAZONO-LICENSE.txt``), renamed "DocRegistry Hanzi Ext".
  It keeps HanaMinB's weight class (500): WeasyPrint 70 merges two faces whose Pango
  descriptions (family, weight, style) are equal into one PDF font, which would draw
  its characters with the other face's glyph ids (the PDF test catches that).

For the pages (browsers): ``web/*.woff2`` slices of the same two faces holding
the characters outside the URO (Extension A, compatibility ideographs, B–F),
about ``SLICE_GLYPHS`` glyphs each, and ``hanzi.css`` declaring them with exact
``unicode-range``s, so a browser downloads a slice only for a page that holds
one of its characters. ``faces.json`` lists the PDF faces and their ranges
(read by ``docregistry/fonts.py``).

Fast by design: fontTools subsets by cmap (no per-glyph work in this script);
the PDF faces and every slice are cached in ``$FONT_BUILD_CACHE`` (default
``~/.cache/docregistry-fonts``, outside the repository) under a hash of their
inputs, so a rebuild only redoes what changed; slices compress in parallel.

Usage: nice -n 19 python scripts/subset_font.py [--noto PATH] [--hanamin PATH] [--jobs N]
"""

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from io import BytesIO
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "static" / "fonts"
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_FACE = "Noto Sans CJK SC"
HANAMIN = Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")
CACHE = Path(os.environ.get("FONT_BUILD_CACHE", Path.home() / ".cache" / "docregistry-fonts"))
FAMILY = "DocRegistry Sans SC"  # the CSS family of every face, in the PDFs and on the pages
BASE_FILE, BASE_NAME = "NotoSansSC-Subset.ttf", "Noto Sans SC Subset"
EXT_FILE, EXT_NAME = "HanziExt-Subset.ttf", "DocRegistry Hanzi Ext"
SLICE_GLYPHS = 1400  # about 300–450 KB of WOFF2 per slice
STAGE = "2"  # bump to invalidate the cache when the build changes

BASE_RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (· is U+00B7)
    (0x2010, 0x2027),  # dashes, quotes, ellipsis, bullet
    (0x2030, 0x203B),  # per mille, primes, reference mark
    (0x2116, 0x2116),  # №
    (0x2160, 0x216B),  # Roman numerals
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus
    (0x221A, 0x221A),  # √
    (0x2460, 0x2473),  # ① … ⑳
    (0x25A0, 0x25CF),  # □ ■ ○ ●
    (0x2610, 0x2612),  # ☐ ☑ ☒
    (0x2713, 0x2714),  # ✓
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
URO = (0x4E00, 0x9FFF)  # on every Chinese system: no web slice


def hanzi_ranges() -> tuple:
    """The validator's ranges, read from its source (no Django needed)."""
    source = (ROOT / "docregistry" / "validators.py").read_text(encoding="utf-8")
    found = re.search(r"^GB18030_HANZI_RANGES = (\(.*?^\))", source, re.S | re.M)
    return ast.literal_eval(found.group(1))


def codepoints(ranges) -> set[int]:
    return {cp for start, end in ranges for cp in range(start, end + 1)}


def compact(cps) -> list[tuple[int, int]]:
    ranges = []
    for cp in sorted(cps):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def unicode_range(cps) -> str:
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in compact(cps))


def digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
    return h.hexdigest()[:24]


def source_id(path: Path):
    stat = path.stat()
    return (str(path), stat.st_size, int(stat.st_mtime))


def load_face(source: Path, face: str | None = None) -> TTFont:
    if source.suffix.lower() == ".ttc":
        for number, font in enumerate(TTCollection(str(source), lazy=True).fonts):
            if font["name"].getDebugName(4) == face:
                return TTFont(str(source), fontNumber=number)
        raise SystemExit(f"{face} not found in {source}")
    return TTFont(str(source))


def subset_font(font: TTFont, cps, *, layout=False) -> TTFont:
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = ["*"] if layout else []  # only the cmap glyphs: no alternates
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "DSIG", "BASE", "FFTM", "GDEF", "GPOS", "GSUB"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(cps))
    subsetter.subset(font)
    return font


def cff_to_glyf(font: TTFont, max_err: float = 1.0) -> None:
    """Replace the CFF outlines by TrueType quadratic ones (fontTools' otf2ttf), once per cached build."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs"):
        setattr(maxp, attr, 0)
    for attr in ("maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: smaller
    font["head"].glyphDataFormat = 0
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont, family: str) -> None:
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "") + "-Regular"
        elif record.nameID == 3:
            record.string = family + " Regular"
        elif record.nameID in (2, 17):
            record.string = "Regular"


def cached(key: str, suffix: str, make) -> Path:
    """The cached file for ``key``, made by ``make(path)`` when missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{key}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(".part")
        make(tmp)
        tmp.replace(path)
    return path


def cmap_of(path: Path, face: str | None = None) -> set[int]:
    if path.suffix.lower() == ".ttc":
        for font in TTCollection(str(path), lazy=True).fonts:
            if font["name"].getDebugName(4) == face:
                return set(font.getBestCmap())
    return set(TTFont(str(path), lazy=True).getBestCmap())


def build_faces(noto: Path, hanamin: Path, hanzi: set[int]) -> tuple[Path, Path]:
    noto_cmap = cmap_of(noto, NOTO_FACE)
    base_cps = (codepoints(BASE_RANGES) | hanzi) & noto_cmap
    ext_cps = hanzi - noto_cmap

    def make_base(path):
        font = subset_font(load_face(noto, NOTO_FACE), base_cps)
        cff_to_glyf(font)
        rename(font, BASE_NAME)
        font.save(str(path))

    def make_ext(path):
        font = subset_font(load_face(hanamin), ext_cps)
        rename(font, EXT_NAME)
        font.save(str(path))

    base = cached(digest(STAGE, "base", source_id(noto), sorted(base_cps)), ".ttf", make_base)
    ext = cached(digest(STAGE, "ext", source_id(hanamin), sorted(ext_cps)), ".ttf", make_ext)
    return base, ext


_face_bytes = {}


def make_slice(job) -> str:
    """One WOFF2 slice of a face (in a worker process): the face's glyphs for ``cps``."""
    face, cps, out = job
    if face not in _face_bytes:
        _face_bytes[face] = Path(face).read_bytes()
    font = subset_font(TTFont(BytesIO(_face_bytes[face])), cps)
    font.flavor = "woff2"
    tmp = Path(out).with_suffix(".part")
    font.save(str(tmp))
    tmp.replace(out)
    return out


def slices(face: Path, cps: set[int], prefix: str):
    """(name, code points, cached path or None) for each slice of ``cps``, in code point order."""
    face_key = digest(face.read_bytes())
    ordered = sorted(cps)
    for number, start in enumerate(range(0, len(ordered), SLICE_GLYPHS), 1):
        part = ordered[start : start + SLICE_GLYPHS]
        yield f"{prefix}-{number:02}.woff2", part, CACHE / f"{digest(STAGE, 'slice', face_key, part)}.woff2"


def font_face(url: str, cps, fmt: str) -> str:
    return (
        f'@font-face {{ font-family: "{FAMILY}"; src: url("{url}") format("{fmt}"); font-display: swap;\n'
        f"  unicode-range: {unicode_range(cps)}; }}\n"
    )


def check(paths: list[Path], hanzi: set[int]) -> None:
    covered = set()
    for path in paths:
        font = TTFont(str(path), lazy=True)
        cmap = font.getBestCmap()
        covered |= set(cmap)
        if any(name == ".notdef" for name in (cmap[cp] for cp in hanzi & set(cmap))):
            raise SystemExit(f"{path.name} maps a hanzi to .notdef")
    missing = sorted(hanzi - covered)
    if missing:
        raise SystemExit(f"{len(missing)} GB 18030 hanzi without a glyph, e.g. U+{missing[0]:04X}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noto", type=Path, default=NOTO, help="Noto Sans CJK (TTC with the SC face)")
    parser.add_argument("--hanamin", type=Path, default=HANAMIN, help="HanaMinB.ttf (fonts-hanazono)")
    parser.add_argument("--output", type=Path, default=FONTS)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    hanzi = codepoints(hanzi_ranges())
    base, ext = build_faces(args.noto, args.hanamin, hanzi)
    check([base, ext], hanzi)
    print(f"PDF faces ready ({time.perf_counter() - started:.0f} s, cache {CACHE})")

    out, web = args.output, args.output / "web"
    web.mkdir(parents=True, exist_ok=True)
    faces, css, jobs, wanted = [], [], [], set()
    web_cps = hanzi - codepoints([URO])
    for face, file, prefix in ((base, BASE_FILE, "noto-ext"), (ext, EXT_FILE, "hanamin-ext")):
        shutil.copyfile(face, out / file)
        cps = set(TTFont(str(face), lazy=True).getBestCmap())
        faces.append({"file": file, "unicode_range": unicode_range(cps)})
        for name, part, path in slices(face, cps & web_cps, prefix):
            wanted.add(name)
            css.append((name, part, path))
            if not path.exists():
                jobs.append((str(face), part, str(path)))
    if jobs:
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for done in pool.map(make_slice, sorted(jobs), chunksize=4):
                print(f"  {Path(done).name}")
    for name, _part, path in css:
        shutil.copyfile(path, web / name)
    for stale in web.glob("*.woff2"):
        if stale.name not in wanted:
            stale.unlink()
    header = "/* Made by scripts/subset_font.py: the hanzi outside the URO, one slice per unicode-range. */\n"
    (out / "hanzi.css").write_text(header + "".join(font_face(f"web/{n}", p, "woff2") for n, p, _ in css))
    (out / "faces.json").write_text(json.dumps({"family": FAMILY, "pdf": faces}, indent=1) + "\n")
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(css)} web slices; static/fonts {total / 1e6:.1f} MB; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
