"""Matching a physician to the roster, and the public correction guide."""

import pytest
from django.urls import reverse

from qualifications.selectors import qualification_match
from tests.factories import QualificationFactory

pytestmark = pytest.mark.django_db


def test_match_normalises_the_id_but_never_the_name():
    record = QualificationFactory(
        name="阿依古丽·买买提", id_number="11010519900101002X", certificate_code="202411110" + "11010519900101002X"
    )
    for id_number in [
        "11010519900101002X",
        "11010519900101002x",
        " 11010519900101002x ",
        "１１０１０５１９９００１０１００２Ｘ",
    ]:
        assert list(qualification_match(name="阿依古丽·买买提", id_number=id_number)) == [record]
    assert list(qualification_match(name=" 阿依古丽．买买提 ", id_number=record.id_number)) == [record]
    assert not qualification_match(name="阿依古丽买买提", id_number=record.id_number).exists()
    assert not qualification_match(name="阿依古丽·买买", id_number=record.id_number).exists()
    assert not qualification_match(name="", id_number=record.id_number).exists()


def test_match_returns_every_qualification_of_the_person():
    first = QualificationFactory(id_number="110105199001010018", certificate_code="201911110110105199001010018")
    second = QualificationFactory(id_number="110105199001010018", certificate_code="202411110110105199001010018")
    assert set(qualification_match(name="张伟", id_number="110105199001010018")) == {first, second}


def test_guide_is_public_and_in_chinese(client):
    page = client.get(reverse("qualifications:guide"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "资格补改指南" in text
    assert "姓名与身份证不一致" in text
    assert "15 位" in text
    assert reverse("physicians:qualification") in text
