"""Demo data: one authority, two institutions, a small roster and one account per role."""

import datetime

from django.db import transaction
from django.utils import timezone

from docregistry.accounts.models import Role, User
from docregistry.validators import id_check_char
from qualifications.models import Qualification

from . import codes, services
from .models import (
    Application,
    Authority,
    Category,
    Institution,
    Level,
    PracticeSite,
    Region,
    Registration,
    RegistrationWindow,
    WorkPeriod,
)
from .register_models import InstitutionReport, RegistrationChange

PASSWORD = "Demo-2026"


def make_id_number(region: str, born: datetime.date, sequence: int) -> str:
    """A valid resident ID number (check digit computed) for demo and test data."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def make_certificate_code(*, year: int, id_number: str, level: str, category: str) -> str:
    return f"{year}{id_number[:2]}{codes.LEVEL_DIGITS[level]}{codes.CATEGORY_DIGITS[category]}{id_number}"


ROSTER = [
    # name, born, sequence, level, category, obtained
    ("张伟", datetime.date(1994, 3, 15), 12, Level.PHYSICIAN, Category.CLINICAL, datetime.date(2025, 9, 1)),
    ("王芳", datetime.date(1996, 7, 2), 24, Level.ASSISTANT, Category.CLINICAL, datetime.date(2023, 9, 1)),
    ("李娜", datetime.date(1990, 11, 30), 46, Level.PHYSICIAN, Category.TCM, datetime.date(2019, 9, 1)),
    ("阿依古丽·买买提", datetime.date(1995, 1, 8), 38, Level.PHYSICIAN, Category.DENTAL, datetime.date(2025, 9, 1)),
    ("刘洋", datetime.date(1997, 5, 21), 52, Level.PHYSICIAN, Category.CLINICAL, datetime.date(2025, 9, 1)),
]
# Roster people who already applied in the demo: one waiting for the hospital, one for the authority.
DEMO_APPLICANTS = [("aygul", 3, "口腔专业", 1), ("liuyang", 4, "内科专业", 2)]


# Where the demo authority's physicians bring their paper materials (the clerk edits it at /authority/office/).
DEMO_OFFICE = {
    "office_address": "北京市朝阳区日坛北路33号 朝阳区政务服务中心 2 层卫生健康窗口",
    "opening_hours": "周一至周五 9:00–12:00、13:30–17:00（法定节假日除外）",
    "phone": "010-6509 3000",
}


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo data; returns (portal, username, password) for each login."""
    chaoyang = Region.objects.get(code="110105")
    authority, _ = Authority.objects.update_or_create(
        name="北京市朝阳区卫生健康委员会",
        defaults={"region": chaoyang},
        create_defaults={"region": chaoyang, **DEMO_OFFICE},
    )
    hospitals = []
    for reg_no, name, address in [
        ("PDY00001-911010516", "北京市朝阳区第一人民医院", "北京市朝阳区工人体育场南路8号"),
        ("PDY00002-911010516", "北京朝阳中医医院", "北京市朝阳区东三环北路5号"),
    ]:
        institution, _ = Institution.objects.update_or_create(
            registration_number=reg_no,
            defaults={
                "name": name,
                "address": address,
                "postcode": "100020",
                "region": chaoyang,
                "responsible_person": "刘敏",
                "mobile": "13800000001",
                "license_checked": True,
                "authorisation_checked": True,
                "entrusted_id_checked": True,
            },
        )
        hospitals.append(institution)
    for name, born, sequence, level, category, obtained in ROSTER:
        id_number = make_id_number("110105", born, sequence)
        code = make_certificate_code(year=obtained.year, id_number=id_number, level=level, category=category)
        Qualification.objects.update_or_create(
            certificate_code=code,
            defaults={
                "name": name,
                "id_number": id_number,
                "level": level,
                "category": category,
                "obtained_on": obtained,
            },
        )
    year = timezone.localdate().year
    RegistrationWindow.objects.get_or_create(
        authority=authority, starts_on=datetime.date(year, 1, 1), ends_on=datetime.date(year, 12, 31)
    )
    first = ROSTER[0]
    accounts = [
        ("physician", dict(role=Role.PHYSICIAN, real_name=first[0], id_number=make_id_number("110105", first[1], first[2]),
                           mobile="13912345678", email="zhangwei@example.com", mobile_verified_at=timezone.now())),
        ("hospital", dict(role=Role.INSTITUTION, real_name="刘敏", institution=hospitals[0], mobile="13800000001")),
        ("clerk", dict(role=Role.AUTHORITY, real_name="陈静", authority=authority, mobile="13800000002")),
        ("admin", dict(role=Role.ADMIN, is_staff=True, is_superuser=True)),
    ]  # fmt: skip
    logins = []
    for username, fields in accounts:
        user, created = User.objects.update_or_create(username=username, defaults=fields)
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        logins.append((fields["role"], username, PASSWORD))
    if not Application.objects.exists():
        _demo_applications(hospital=hospitals[0], staff=User.objects.get(username="hospital"))
    if not Registration.objects.exists():
        _demo_register(hospitals=hospitals, authority=authority, clerk=User.objects.get(username="clerk"))
        _demo_departure(hospital=hospitals[0], authority=authority, staff=User.objects.get(username="hospital"))
    return logins


def _registered_physician(
    roster_row, *, username: str, institution: Institution, authority: Authority, actor: User | None, **fields
) -> Registration:
    """A physician account with a registration in force at ``institution`` and its audit row."""
    name, born, sequence, level, category, _obtained = roster_row
    physician = User.objects.create_user(
        username=username,
        password=PASSWORD,
        role=Role.PHYSICIAN,
        real_name=name,
        id_number=make_id_number("110105", born, sequence),
        mobile=f"139{sequence:08d}",
        mobile_verified_at=timezone.now(),
    )
    prefix = codes.practice_code_prefix(level=level, category=category, region_code=authority.region_id)
    registration = Registration.objects.create(
        physician=physician,
        name=physician.real_name,
        certificate_code=f"{prefix}{services.next_value(f'cert:{prefix}'):06d}",
        institution=institution,
        authority=authority,
        level=level,
        category=category,
        **fields,
    )
    RegistrationChange.objects.create(
        registration=registration,
        actor=actor,
        actor_role=actor.role if actor else "system",
        to_state=Registration.State.ACTIVE,
    )
    return registration


def _demo_register(*, hospitals: list[Institution], authority: Authority, clerk: User) -> None:
    """李娜 (``lina``) is registered at the TCM hospital and has a filed site at the first hospital."""
    today = timezone.localdate()
    registration = _registered_physician(
        ROSTER[2],
        username="lina",
        institution=hospitals[1],
        authority=authority,
        actor=clerk,
        scope="中医专业",
        extra_scopes=["中西医结合专业"],
        practice_area_id="110000",
        effective_on=today - datetime.timedelta(days=400),
    )
    PracticeSite.objects.create(
        registration=registration,
        institution=hospitals[0],
        scope="中医专业",
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=335),
    )


def _demo_departure(*, hospital: Institution, authority: Authority, staff: User) -> None:
    """王芳 (``wangfang``), an assistant at the first hospital, left it ten days ago (调离): the authority's queue."""
    today = timezone.localdate()
    registration = _registered_physician(
        ROSTER[1],
        username="wangfang",
        institution=hospital,
        authority=authority,
        actor=None,
        scope="内科专业",
        practice_area_id=hospital.region_id,  # an assistant's practice area is the county
        effective_on=today - datetime.timedelta(days=700),
    )
    left_on = today - datetime.timedelta(days=10)
    InstitutionReport.objects.create(
        registration=registration,
        institution=hospital,
        kind=InstitutionReport.Kind.DEPARTURE,
        reason=InstitutionReport.Reason.TRANSFER,
        occurred_on=left_on,
        main=True,
        reported_by=staff,
    )
    RegistrationChange.objects.create(
        registration=registration,
        actor=staff,
        actor_role=staff.role,
        from_state=Registration.State.ACTIVE,
        to_state=Registration.State.ACTIVE,
        comment=f"离岗备案：{hospital.name}，调离，{left_on.isoformat()}",
    )


def _demo_applications(*, hospital: Institution, staff: User) -> None:
    """Applications in the queues, so each portal has something to show."""
    for username, index, scope, steps in DEMO_APPLICANTS:
        name, born, sequence, _level, _category, _obtained = ROSTER[index]
        id_number = make_id_number("110105", born, sequence)
        physician = User.objects.create_user(
            username=username,
            password=PASSWORD,
            role=Role.PHYSICIAN,
            real_name=name,
            id_number=id_number,
            mobile=f"139{sequence:08d}",
            mobile_verified_at=timezone.now(),
        )
        qualification = Qualification.objects.get(id_number=id_number)
        application = Application.objects.create(
            type=Application.Type.FIRST,
            physician=physician,
            institution=hospital,
            qualification=qualification,
            name=name,
            level=qualification.level,
            category=qualification.category,
            qualification_code=qualification.certificate_code,
            physician_qualified_on=qualification.obtained_on,
            education="本科",
            title="医师",
            scope=scope,
        )
        WorkPeriod.objects.create(
            application=application, starts_on=datetime.date(2020, 7, 1), employer=hospital.name, position="住院医师"
        )
        application = services.application_submit(application=application, actor=physician)
        if steps > 1:
            services.application_approve_by_institution(application=application, actor=staff)
