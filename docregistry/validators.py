"""Validators shared by every form, service and importer.

Each ``normalize_*`` function cleans what people type (spaces, full-width
characters, lower-case ``x``) and each ``validate_*`` raises ``ValidationError``
with a message in the user's language.
"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB/T 2260 province-level codes, plus 81/82/83 for the residence permits of
# Hong Kong, Macao and Taiwan residents (GB 11643-1999 as applied since 2018).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "83",
    }
)  # fmt: skip
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
# The hanzi of GB 18030-2022 (87,887): the URO up to U+9FEF, Extensions A–F as far as that standard
# takes them, and the twelve unified ideographs of the compatibility block. A name may hold exactly
# these (and the middle dot); the fonts in static/fonts draw every one of them (a test walks them all).
GB18030_HANZI_RANGES = (
    (0x3400, 0x4DB5),  # Extension A
    (0x4E00, 0x9FEF),  # CJK Unified Ideographs
    (0xFA0E, 0xFA0F),  # the twelve unified ideographs of the compatibility block: 﨎 﨏
    (0xFA11, 0xFA11),  # 﨑
    (0xFA13, 0xFA14),  # 﨓 﨔
    (0xFA1F, 0xFA1F),  # 﨟
    (0xFA21, 0xFA21),  # 﨡
    (0xFA23, 0xFA24),  # 﨣 﨤
    (0xFA27, 0xFA29),  # 﨧 﨨 﨩
    (0x20000, 0x2A6D6),  # Extension B
    (0x2A700, 0x2B734),  # Extension C
    (0x2B740, 0x2B81D),  # Extension D
    (0x2B820, 0x2CEA1),  # Extension E
    (0x2CEB0, 0x2EBE0),  # Extension F
)
NAME_PATTERN = re.compile("^[" + "".join(f"{chr(start)}-{chr(end)}" for start, end in GB18030_HANZI_RANGES) + "·]+$")
NAME_MAX_HANZI = 25  # 统一姓名采集应用规范 (2016): a name field of at least 25 hanzi …
NAME_MAX_LENGTH = 50  # … that is 50 characters, which minority names with · may use
# Private-use code points that older GB 18030 decoders (Python's among them) return for ideographs
# GB 18030-2005/2022 map to standard code points: fold them so the name prints and matches.
NAME_PUA_FOLD = {
    0xE816: 0x20087, 0xE817: 0x20089, 0xE818: 0x200CC, 0xE831: 0x215D7, 0xE83B: 0x2298F, 0xE855: 0x241FE,
    0xE81E: 0x9FB4, 0xE826: 0x9FB5, 0xE82B: 0x9FB6, 0xE82C: 0x9FB7, 0xE832: 0x9FB8, 0xE843: 0x9FB9,
    0xE854: 0x9FBA, 0xE864: 0x9FBB,
}  # fmt: skip
MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
POSTCODE_PATTERN = re.compile(r"^\d{6}$")
CERTIFICATE_CODE_PATTERN = re.compile(r"^\d{4}\d{2}[12]\d{2}(\d{17}[\dX]|\d{15})$")
# Dots people type for the middle dot in minority names: full-width, katakana, bullet, period.
NAME_DOTS = "．・•‧∙⋅.｡"

MSG_ID_FORMAT = _("A resident ID number has 18 characters: 17 digits and a final digit or X.")
MSG_ID_CHECKSUM = _("The check digit does not match; please check the ID number for a typo.")
MSG_ID_BIRTH_DATE = _("The birth date inside the ID number is not a real date.")
MSG_ID_FUTURE = _("The birth date inside the ID number is in the future.")
MSG_ID_REGION = _("The ID number does not start with a known province code.")
MSG_NAME_CHARS = _(
    "Enter your real name as on your ID card: Chinese characters only, with · between parts of a minority name."
)
MSG_NAME_LENGTH = _(
    "A real name has 2 to 25 Chinese characters; a minority name with · may have up to 50 characters in all."
)
MSG_NAME_DOTS = _("The middle dot · may only stand between two parts of the name.")
MSG_MOBILE = _("Enter an 11-digit mainland mobile number, such as 13800138000.")
MSG_POSTCODE = _("A postcode has 6 digits.")
MSG_CERTIFICATE_CODE = _(
    "A qualification certificate code has 27 characters (24 for an old 15-digit ID): "
    "year, province, level, category and the holder's ID number."
)


def _to_half_width(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def normalize_id_number(value: str) -> str:
    """Strip spaces, fold full-width digits and upper-case the final x."""
    return re.sub(r"\s+", "", _to_half_width(value or "")).upper()


def id_check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_birth_date(id_number: str) -> datetime.date:
    """The birth date an (already valid) ID number carries."""
    return datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(value: str) -> None:
    """GB 11643-1999: 18 characters, real past birth date, known province, mod-11 check."""
    if not ID_PATTERN.match(value or ""):
        raise ValidationError(MSG_ID_FORMAT, code="id_format")
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(MSG_ID_REGION, code="id_region")
    try:
        born = id_birth_date(value)
    except ValueError:
        raise ValidationError(MSG_ID_BIRTH_DATE, code="id_birth_date") from None
    if born.year < 1880:
        raise ValidationError(MSG_ID_BIRTH_DATE, code="id_birth_date")
    if born > timezone.localdate():
        raise ValidationError(MSG_ID_FUTURE, code="id_future")
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError(MSG_ID_CHECKSUM, code="id_checksum")


def normalize_real_name(value: str) -> str:
    """Remove spaces (half- and full-width), turn every kind of dot into · and fold legacy private-use codes."""
    value = re.sub(r"[\s\u3000]+", "", value or "").translate(NAME_PUA_FOLD)
    return "".join("·" if ch in NAME_DOTS else ch for ch in value)


def validate_real_name(value: str) -> None:
    if not NAME_PATTERN.match(value or ""):
        raise ValidationError(MSG_NAME_CHARS, code="name_chars")
    limit = NAME_MAX_LENGTH if "·" in value else NAME_MAX_HANZI
    if not 2 <= len(value) <= limit:
        raise ValidationError(MSG_NAME_LENGTH, code="name_length")
    if value.startswith("·") or value.endswith("·") or "··" in value:
        raise ValidationError(MSG_NAME_DOTS, code="name_dots")


def normalize_mobile(value: str) -> str:
    value = re.sub(r"[\s-]+", "", _to_half_width(value or ""))
    return value.removeprefix("+86")


def validate_mobile(value: str) -> None:
    if not MOBILE_PATTERN.match(value or ""):
        raise ValidationError(MSG_MOBILE, code="mobile")


def validate_postcode(value: str) -> None:
    if not POSTCODE_PATTERN.match(value or ""):
        raise ValidationError(MSG_POSTCODE, code="postcode")


def normalize_certificate_code(value: str) -> str:
    return normalize_id_number(value)


def validate_certificate_code(value: str) -> None:
    """Layout only: year, province, level, category, then an 18- (or old 15-) digit ID.

    Agreement with the holder's ID, level and category is checked where the
    record is known (``qualifications.codes``).
    """
    if not CERTIFICATE_CODE_PATTERN.match(value or ""):
        raise ValidationError(MSG_CERTIFICATE_CODE, code="certificate_code")
    embedded = value[9:]
    if len(embedded) == 18:
        validate_id_number(embedded)
