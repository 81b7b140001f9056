"""Build the CJK font shipped with the project: ``static/fonts/NotoSansSC-Subset.ttf``.

The review form PDF must look the same on a machine with no Chinese fonts, so
it embeds this font, never a system one. The source is the Simplified Chinese
face of Debian's Noto Sans CJK (``fonts-noto-cjk``, SIL Open Font License 1.1;
the licence ships next to the result as ``OFL.txt``).

What is kept: every character of the CJK Unified Ideographs block the source
font has (U+4E00–U+9FEF: all but the 16 code points added in Unicode 13–14,
which no Noto CJK release draws yet), so any name renders; CJK symbols and punctuation,
full-width forms, ASCII and Latin-1, general punctuation (· — “” …) and a few
form symbols (□ ☑ √ ①…). Hinting is dropped (PDF viewers do not need it) and
the CFF outlines are converted to TrueType quadratics, which HarfBuzz subsets
in a few milliseconds when WeasyPrint embeds only the glyphs a form uses.
The result is about 7 MB; ``--extension-a`` adds CJK Extension A
(U+3400–U+4DBF, 6,582 rare characters) for about 9 MB.

Usage: python scripts/subset_font.py [--source PATH] [--output PATH]
"""

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUTPUT = ROOT / "static" / "fonts" / "NotoSansSC-Subset.ttf"
FAMILY = "Noto Sans SC Subset"
FACE = "Noto Sans CJK SC"

RANGES = [
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
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]
EXTENSION_A = (0x3400, 0x4DBF)
REQUIRED = [(0x4E00, 0x9FEF), (0x3000, 0x303F), (0xFF01, 0xFF5E), (0x0020, 0x007E), (0x00B7, 0x00B7)]


def codepoints(ranges=RANGES) -> list[int]:
    return [cp for start, end in ranges for cp in range(start, end + 1)]


def load_face(source: Path) -> TTFont:
    if source.suffix.lower() == ".ttc":
        for number, font in enumerate(TTCollection(str(source), lazy=True).fonts):
            if font["name"].getDebugName(4) == FACE:
                return TTFont(str(source), fontNumber=number, lazy=False)
        raise SystemExit(f"{FACE} not found in {source}")
    return TTFont(str(source))


def cff_to_glyf(font: TTFont, max_err: float = 1.0) -> None:
    """Replace the CFF outlines by TrueType quadratic ones (what fontTools' otf2ttf does)."""
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
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentDepth = 0
    font["post"].formatType = 3.0  # no glyph names: smaller
    font["head"].glyphDataFormat = 0
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    name = font["name"]
    for record in list(name.names):
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "") + "-Regular"
        elif record.nameID == 3:
            record.string = FAMILY + " Regular"


def build(source: Path, output: Path, *, extension_a: bool = False) -> Path:
    font = load_face(source)
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = []  # no vertical, localised or proportional alternates: only the cmap glyphs
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints(RANGES + [EXTENSION_A] if extension_a else RANGES))
    subsetter.subset(font)
    cff_to_glyf(font)
    rename(font)
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(output))
    check(output)
    return output


def check(path: Path) -> None:
    cmap = TTFont(str(path))["cmap"].getBestCmap()
    missing = [cp for cp in codepoints(REQUIRED) if cp not in cmap]
    if missing:
        raise SystemExit(f"{len(missing)} required code points missing, e.g. U+{missing[0]:04X}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--extension-a", action="store_true", help="also keep CJK Extension A (U+3400–U+4DBF)")
    args = parser.parse_args(argv)
    out = build(args.source, args.output, extension_a=args.extension_a)
    glyphs = len(TTFont(str(out)).getGlyphOrder())
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB, {glyphs} glyphs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
