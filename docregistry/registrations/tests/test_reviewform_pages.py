"""The review form page by page (seed Q9): text extracted per page, as a reader of the printed form sees it."""

import datetime

import pytest
from django.utils import timezone

from docregistry.registrations import reviewform, services
from docregistry.registrations.checklists import checklist_codes
from docregistry.registrations.models import Application, Category, Registration, WorkPeriod
from institutions.tests.pdfcheck import page_texts
from tests.factories import AuthorityFactory, ClerkFactory, InstitutionFactory, StaffFactory

pytestmark = pytest.mark.django_db
Type = Application.Type


def flat(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "").replace("\n", "")


def pages(application) -> list[str]:
    return [flat(t) for t in page_texts(reviewform.render_review_form(application, use_cache=False))]


def test_the_pages_are_the_cover_and_the_first_to_the_fourth_as_the_seed_names_them(world):
    texts = pages(world.submitted())
    assert len(texts) == 5
    for text, (name, subject) in zip(
        texts,
        [
            ("封面", ""),
            ("第一页", "基本情况"),
            ("第二页", "工作经历、健康状况及执业范围"),
            ("第三页", "审核意见"),
            ("第四页", "医师执业证书编码"),
        ],
        strict=True,
    ):
        assert f"{name}{subject}（本表连封面共5页）" in text, text[:80]
    assert "第1页" not in "".join(texts)
    assert "医师执业证书编码" in texts[4] and "申请人不填" in texts[4]


def test_the_covers_category_is_the_qualifications(world):
    # A change of category: the cover keeps the qualification's 类别, 第一页 prints the one applied for.
    application = world.submitted()
    Application.objects.filter(pk=application.pk).update(category=Category.TCM)
    application.refresh_from_db()
    cover, first = pages(application)[:2]
    assert "类别临床" in cover and "中医" not in cover
    assert "申请执业类别中医" in first and "医师资格级别执业医师类别临床" in first


def test_the_training_line_prints_on_the_second_page(world):
    line = "北京市医师培训中心2026年1月—2026年6月考核合格"
    texts = pages(world.submitted(training_assessment=line))
    assert "业务水平考核机构或组织的名称和培训时间及考核结果" + line in texts[2]


def test_every_work_period_prints_on_continuation_pages(world):
    application = world.submitted()
    for n in range(12):
        WorkPeriod.objects.create(
            application=application,
            starts_on=datetime.date(2000 + n, 1, 1),
            ends_on=datetime.date(2000 + n, 12, 31),
            employer=f"第{n + 1}人民医院",
            position="住院医师",
        )
    application.refresh_from_db()
    texts = pages(application)
    assert len(texts) == 6 == reviewform.page_count(application)
    assert "第二页（续）" in texts[3]
    assert "第1人民医院" in texts[2] and "第6人民医院" in texts[2] and "第7人民医院" not in texts[2]
    assert "第7人民医院" in texts[3]
    assert "第12人民医院" in texts[3] and "2011年12月31日" in texts[3]  # the twelfth period
    assert "其余见第二页续页" in texts[2]
    assert "第三页" in texts[4] and "第四页" in texts[5]


def test_a_batch_with_a_continuation_page_is_cut_per_form_and_cached(world, settings):
    from docregistry.registrations import rendered
    from institutions.tests.pdfcheck import pdf_pages
    from tests.factories import PhysicianFactory, application_for

    settings.REVIEW_FORM_WORKERS = 1
    apps = [application_for(PhysicianFactory(real_name=n), world.institution) for n in ["赵一", "钱二", "孙三", "李四"]]
    for n in range(10):  # 6 on 第二页, 4 on its continuation
        WorkPeriod.objects.create(application=apps[1], starts_on=datetime.date(2000 + n, 1, 1), employer=f"院{n}")
    pdf = reviewform.render_review_forms(apps)
    assert pdf_pages(pdf) == 21
    assert [pdf_pages(rendered.get(reviewform.cache_key(a))) for a in apps] == [5, 6, 5, 5]


def _decided_first_registration(world) -> Application:
    return world.approved()


def test_a_first_registrations_title_and_opinion_dated_by_the_decision(world):
    application = _decided_first_registration(world)
    decided = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=datetime.UTC)
    Application.objects.filter(pk=application.pk).update(decided_at=decided)
    application.refresh_from_db()
    texts = pages(application)
    assert texts[0].count("医师执业注册申请审核表") >= 2 and "（首次注册）" in texts[0]
    assert "同意注册" in texts[3]
    assert "2026年11月20日" in texts[3]  # the decision's date, not the fill date
    assert reviewform.chinese_date(application.fill_date) != "2026年11月20日"


def test_before_the_decision_the_authoritys_box_is_blank(world):
    texts = pages(world.institution_approved())
    assert "同意注册" not in texts[3] and "年月日" in texts[3]


def test_a_filing_prints_its_main_institution_period_title_and_opinion(world):
    registration = Registration.objects.get(certificate_code=world.approved().practice_certificate_code)
    site = InstitutionFactory()
    application = services.application_create(
        physician=world.physician, type=Type.MULTI_SITE, qualification=world.qualification
    )
    starts, ends = timezone.localdate(), timezone.localdate() + datetime.timedelta(days=365)
    application = services.application_update(
        application=application,
        actor=world.physician,
        data={"institution": site, "scope": "内科专业", "site_starts_on": starts, "site_ends_on": ends},
    )
    application = services.application_submit(application=application, actor=world.physician)
    application = services.application_approve_by_institution(
        application=application, actor=StaffFactory(institution=site)
    )
    clerk = ClerkFactory(authority=AuthorityFactory(region_id=site.region_id))
    application = services.application_approve_by_authority(
        application=application, actor=clerk, checklist=checklist_codes(application)
    )
    texts = pages(application)
    assert "医师多机构备案申请审核表" in texts[0] and "（多机构备案）" in texts[0]
    first = texts[1]
    assert "主要执业机构" + registration.institution.name in first
    assert registration.certificate_code in first
    assert "拟备案执业机构名称及登记号" + site.name in first
    period = f"{reviewform.chinese_date(starts)}至{reviewform.chinese_date(ends)}"
    assert "备案执业期限" + period in first
    assert "同意备案" in texts[3] and "同意注册" not in texts[3]
    assert reviewform.chinese_date(timezone.localdate(application.decided_at)) in texts[3]


@pytest.mark.parametrize(
    ("kind", "opinion"),
    [
        (Type.FIRST, "同意注册"),
        (Type.CHANGE, "同意变更注册"),
        (Type.MULTI_SITE, "同意备案"),
        (Type.CANCEL, "同意注销注册"),
    ],
)
def test_the_default_opinion_follows_the_type(kind, opinion):
    assert Application(type=kind).kind.opinion_zh == opinion
