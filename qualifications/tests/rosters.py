"""Building roster files for tests."""

import csv
import datetime
from pathlib import Path

from openpyxl import Workbook

from docregistry.registrations.demo import make_certificate_code, make_id_number
from docregistry.registrations.models import Category, Level

HEADER = ["姓名", "身份证号", "资格证书编码", "级别", "类别", "取得资格时间"]
LEVEL_TEXT = {Level.PHYSICIAN: "执业医师", Level.ASSISTANT: "执业助理医师"}
CATEGORY_TEXT = {
    Category.CLINICAL: "临床",
    Category.TCM: "中医",
    Category.DENTAL: "口腔",
    Category.PUBLIC_HEALTH: "公共卫生",
}


def person(
    n: int,
    *,
    name: str = "张伟",
    level: str = Level.PHYSICIAN,
    category: str = Category.CLINICAL,
    obtained: str = "2024-09-01",
    born: datetime.date = datetime.date(1990, 1, 1),
) -> list:
    """One valid row: [name, ID, certificate code, level, category, date]."""
    id_number = make_id_number("110105", born + datetime.timedelta(days=n // 1000), n % 1000)
    code = make_certificate_code(year=2024, id_number=id_number, level=level, category=category)
    return [name, id_number, code, LEVEL_TEXT[level], CATEGORY_TEXT[category], obtained]


def write_csv(folder: Path, rows: list, *, header=HEADER, encoding="utf-8", name="roster.csv") -> Path:
    path = folder / name
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(folder: Path, rows: list, *, header=HEADER, name="roster.xlsx") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = folder / name
    workbook.save(path)
    return path
