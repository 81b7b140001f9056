"""The shared validators: GB 11643-1999 ID numbers, names, mobiles, postcodes, certificate codes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from docregistry import validators as v

STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


def _valid_id(province: str, born: datetime.date, sequence: int) -> str:
    first17 = f"{province}0101{born:%Y%m%d}{sequence:03d}"
    return first17 + v.id_check_char(first17)


provinces = st.sampled_from(sorted(v.PROVINCE_CODES))
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2020, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@pytest.mark.parametrize("id_number", STANDARD_EXAMPLES)
def test_the_standards_examples_are_valid(id_number):
    v.validate_id_number(id_number)


@given(provinces, birth_dates, sequences)
def test_every_well_formed_number_is_accepted(province, born, sequence):
    v.validate_id_number(_valid_id(province, born, sequence))


@given(provinces, birth_dates, sequences, st.integers(min_value=1, max_value=10))
def test_any_other_check_character_is_refused(province, born, sequence, shift):
    valid = _valid_id(province, born, sequence)
    wrong = v.ID_CHECK_CHARS[(v.ID_CHECK_CHARS.index(valid[-1]) + shift) % 11]
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(valid[:-1] + wrong)
    assert excinfo.value.code == "id_checksum"


@given(provinces, birth_dates, sequences, st.integers(min_value=0, max_value=16), st.integers(1, 9))
def test_a_single_mistyped_digit_is_caught(province, born, sequence, position, delta):
    valid = _valid_id(province, born, sequence)
    digit = (int(valid[position]) + delta) % 10
    typo = valid[:position] + str(digit) + valid[position + 1 :]
    with pytest.raises(ValidationError):
        v.validate_id_number(typo)


@given(provinces, birth_dates, sequences)
def test_lower_case_x_and_spaces_are_normalised(province, born, sequence):
    valid = _valid_id(province, born, sequence)
    typed = " " + valid.lower()[:6] + " " + valid.lower()[6:] + " "
    assert v.normalize_id_number(typed) == valid


def test_full_width_digits_are_normalised():
    assert v.normalize_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("110105194912310", "id_format"),  # the old 15-digit form is not accepted
        ("11010519491231002Y", "id_format"),
        ("99010519491231002X", "id_region"),
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105187001010015", "id_birth_date"),  # before 1880
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(id_number, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(id_number)
    assert excinfo.value.code == code


def test_a_birth_date_in_the_future_is_refused():
    tomorrow = datetime.date.today() + datetime.timedelta(days=400)  # noqa: DTZ011
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(_valid_id("11", tomorrow, 1))
    assert excinfo.value.code == "id_future"


@pytest.mark.parametrize("province", ["81", "82", "83"])
def test_residence_permits_of_hong_kong_macao_and_taiwan_residents(province):
    v.validate_id_number(_valid_id(province, datetime.date(1985, 6, 1), 7))


@pytest.mark.parametrize(
    "typed,stored", [("张伟", "张伟"), (" 阿依古丽．买买提 ", "阿依古丽·买买提"), ("米 拉・ 古丽", "米拉·古丽")]
)
def test_names_are_normalised_then_accepted(typed, stored):
    name = v.normalize_real_name(typed)
    assert name == stored
    v.validate_real_name(name)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Zhang Wei", "name_chars"),
        ("张伟1", "name_chars"),
        ("zhangwei", "name_chars"),
        ("张", "name_length"),
        ("张" * 26, "name_length"),
        ("阿" * 25 + "·" + "买" * 25, "name_length"),
        ("张\u9ff0", "name_chars"),  # Unicode 14, not in GB 18030-2022: no font draws it
        ("张\U00031350", "name_chars"),  # Extension G, not in GB 18030-2022
        ("张\ue000", "name_chars"),  # private use
        ("·张伟", "name_dots"),
        ("张··伟", "name_dots"),
    ],
)
def test_names_with_letters_digits_or_stray_dots_are_refused(name, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_real_name(name)
    assert excinfo.value.code == code


GB18030_HANZI = st.one_of(
    *(st.characters(min_codepoint=start, max_codepoint=end) for start, end in v.GB18030_HANZI_RANGES)
)


@given(st.text(alphabet=GB18030_HANZI, min_size=2, max_size=25))
def test_any_name_of_two_to_25_gb18030_hanzi_is_accepted(name):
    v.validate_real_name(name)


@given(st.lists(st.text(alphabet=GB18030_HANZI, min_size=1, max_size=16), min_size=2, max_size=4))
def test_minority_names_with_dots_are_accepted_up_to_50_characters(parts):
    name = "·".join(parts)
    if len(name) <= 50:
        v.validate_real_name(name)
    else:
        with pytest.raises(ValidationError):
            v.validate_real_name(name)


@pytest.mark.parametrize(
    ("name", "blocks"),
    [("刘䶮", "Extension A"), ("𠮷野", "Extension B"), ("张𪜀", "Extension C"), ("王𫠝", "Extension D"),
     ("李𫠠", "Extension E"), ("赵𬺰", "Extension F"), ("﨑", "compatibility")],
)  # fmt: skip
def test_rare_characters_of_every_gb18030_block_are_accepted(name, blocks):
    v.validate_real_name(name if len(name) > 1 else "山" + name)


def test_the_accepted_hanzi_are_the_87887_of_gb18030_2022():
    assert sum(end - start + 1 for start, end in v.GB18030_HANZI_RANGES) == 87_887


def test_legacy_private_use_codes_fold_to_the_standard_characters():
    assert v.normalize_real_name("张\ue81e") == "张\u9fb4"
    assert v.normalize_real_name("\ue816伟") == "\U00020087伟"


@pytest.mark.parametrize("typed", ["13800138000", "+86 138 0013 8000", "138-0013-8000", "１３８００１３８０００"])
def test_mobile_numbers_are_normalised_and_accepted(typed):
    v.validate_mobile(v.normalize_mobile(typed))


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "138001380001", "02588888888"])
def test_bad_mobile_numbers_are_refused(mobile):
    with pytest.raises(ValidationError):
        v.validate_mobile(mobile)


def test_postcodes_have_six_digits():
    v.validate_postcode("100020")
    for bad in ["10002", "1000200", "10002A"]:
        with pytest.raises(ValidationError):
            v.validate_postcode(bad)


def test_the_seeds_qualification_code_is_valid():
    v.validate_certificate_code("200751110510102197310196564")


@pytest.mark.parametrize(
    "code",
    [
        "20075111051010219731019656",  # 26 characters
        "200751310510102197310196564",  # level digit 3
        "200751110510102197310196565",  # embedded ID fails its check digit
    ],
)
def test_malformed_qualification_codes_are_refused(code):
    with pytest.raises(ValidationError):
        v.validate_certificate_code(code)


def test_old_fifteen_digit_ids_inside_certificate_codes_are_accepted():
    v.validate_certificate_code("200551110510102731019656")
