"""The fonts shipped in ``static/fonts`` (made by ``scripts/subset_font.py``) for the PDFs.

Two TrueType faces of one family cover every hanzi the name validator accepts (GB 18030-2022):
Noto Sans SC for all it has, a HanaMinB subset for the rest of Extensions B–F. Each is declared
with its exact ``unicode-range`` (listed in ``faces.json``), so Fontconfig never picks a face
for a character it lacks, and a PDF embeds only the faces its text uses. WeasyPrint registers
them once per process (TrueType: nothing to decompress). Browsers get WOFF2 slices of the same
faces instead (``static/fonts/hanzi.css``).
"""

import functools
import json
from pathlib import Path

from django.conf import settings

FAMILY = "DocRegistry Sans SC"


def fonts_dir() -> Path:
    return Path(settings.BASE_DIR) / "static" / "fonts"


@functools.cache
def pdf_faces() -> tuple[tuple[Path, str], ...]:
    """(file, unicode-range) of each PDF face, in the order they are declared."""
    manifest = json.loads((fonts_dir() / "faces.json").read_text(encoding="utf-8"))
    return tuple((fonts_dir() / face["file"], face["unicode_range"]) for face in manifest["pdf"])


def pdf_font_faces(family: str = FAMILY) -> str:
    """The ``@font-face`` rules of the PDF stylesheets."""
    return "".join(
        f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}") format("truetype"); '
        f"unicode-range: {ranges}; }}\n"
        for path, ranges in pdf_faces()
    )
