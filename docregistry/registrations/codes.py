"""The code tables: how level and category are written in certificate codes.

The published layouts are certain; the digit values for level and category come
from secondary sources, so they live here, in one table an operator can correct.
"""

from .choices import Category, Level

LEVEL_DIGITS = {Level.PHYSICIAN: "1", Level.ASSISTANT: "2"}
# 41 中医; 42 中西医结合 and 43–48 民族医 are read as 中医 too.
CATEGORY_DIGITS = {Category.CLINICAL: "10", Category.DENTAL: "20", Category.PUBLIC_HEALTH: "30", Category.TCM: "41"}
CATEGORY_BY_DIGITS = {
    **{digits: category for category, digits in CATEGORY_DIGITS.items()},
    **{str(n): Category.TCM for n in range(42, 49)},
}
LEVEL_BY_DIGIT = {digit: level for level, digit in LEVEL_DIGITS.items()}


def qualification_code_parts(code: str) -> dict:
    """Read a qualification certificate code: year | province | level | category | holder's ID."""
    return {
        "year": code[0:4],
        "province": code[4:6],
        "level": LEVEL_BY_DIGIT.get(code[6:7]),
        "category": CATEGORY_BY_DIGITS.get(code[7:9]),
        "id_number": code[9:],
    }


def practice_code_prefix(*, level: str, category: str, region_code: str) -> str:
    """The first 9 digits of a practice certificate code: level, category, issuing region.

    The serial (6 digits) follows; a province-level authority's region ends in 0000,
    so its codes carry 00 for city and county, as the layout asks.
    """
    return LEVEL_DIGITS[level] + CATEGORY_DIGITS[category] + region_code
