"""Factories for tests and benchmarks: valid IDs, certificate codes and a small world."""

import datetime
from dataclasses import dataclass

import factory
from django.utils import timezone

from docregistry.accounts.models import Role, User
from docregistry.registrations import services
from docregistry.registrations.calendar import load_calendar
from docregistry.registrations.checklists import checklist_codes, load_checklists
from docregistry.registrations.demo import make_certificate_code, make_id_number
from docregistry.registrations.grounds import load_grounds
from docregistry.registrations.models import (
    Application,
    Authority,
    Category,
    Institution,
    Level,
    PracticeScope,
    Region,
)
from docregistry.registrations.paper_models import CalendarDay, ChecklistItem
from docregistry.registrations.reference import load_reference_data
from docregistry.registrations.register_models import Ground
from qualifications.models import Qualification

PASSWORD = "Test-pass-2026"


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试医院{n}")
    registration_number = factory.Sequence(lambda n: f"PDY{n:05d}-911010516")
    address = "北京市朝阳区测试路1号"
    postcode = "100020"
    region_id = "110105"
    responsible_person = "刘敏"
    mobile = "13800000001"


class AuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authority

    name = factory.Sequence(lambda n: f"卫生健康委员会{n}")
    region_id = "110105"


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    name = "张伟"
    id_number = factory.Sequence(lambda n: make_id_number("110105", datetime.date(1990, 1, 1), n % 1000))
    level = Level.PHYSICIAN
    category = Category.CLINICAL
    obtained_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=200))
    certificate_code = factory.LazyAttribute(
        lambda q: make_certificate_code(
            year=q.obtained_on.year, id_number=q.id_number, level=q.level, category=q.category
        )
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save(update_fields=["password"])


class PhysicianFactory(UserFactory):
    role = Role.PHYSICIAN
    real_name = "张伟"
    id_number = factory.Sequence(lambda n: make_id_number("110105", datetime.date(1990, 1, 1), n % 1000))
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"doctor{n}@example.com")
    mobile_verified_at = factory.LazyFunction(timezone.now)


class StaffFactory(UserFactory):
    role = Role.INSTITUTION
    real_name = "刘敏"
    institution = factory.SubFactory(InstitutionFactory)


class ClerkFactory(UserFactory):
    role = Role.AUTHORITY
    real_name = "陈静"
    authority = factory.SubFactory(AuthorityFactory)


def qualification_for(physician: User, **fields) -> Qualification:
    return QualificationFactory(name=physician.real_name, id_number=physician.id_number, **fields)


def application_for(physician: User, institution: Institution, **fields) -> Application:
    """A draft first registration with every field the review form needs."""
    qualification = fields.pop("qualification", None) or qualification_for(physician)
    defaults = dict(
        type=Application.Type.FIRST,
        physician=physician,
        institution=institution,
        qualification=qualification,
        name=qualification.name,
        level=qualification.level,
        category=qualification.category,
        qualification_code=qualification.certificate_code,
        physician_qualified_on=qualification.obtained_on,
        education="本科",
        title="医师",
        scope="内科专业",
        health_status="良好",
    )
    defaults.update(fields)
    return Application.objects.create(**defaults)


def ensure_reference_data() -> None:
    """Regions and scopes come from a migration; transactional tests flush them, so reload."""
    if not Region.objects.filter(code="110105").exists():
        load_reference_data(Region, PracticeScope)
    if not Ground.objects.exists():
        load_grounds(Ground)
    if not ChecklistItem.objects.exists():
        load_checklists()
    if not CalendarDay.objects.exists():
        load_calendar()


@dataclass
class World:
    """A physician with a matched qualification, an institution with staff, an authority with a clerk."""

    physician: User
    qualification: Qualification
    institution: Institution
    staff: User
    authority: Authority
    clerk: User

    @classmethod
    def create(cls) -> "World":
        ensure_reference_data()
        physician = PhysicianFactory()
        institution = InstitutionFactory()
        authority = AuthorityFactory(region=Region.objects.get(code="110105"))
        return cls(
            physician=physician,
            qualification=qualification_for(physician),
            institution=institution,
            staff=StaffFactory(institution=institution),
            authority=authority,
            clerk=ClerkFactory(authority=authority),
        )

    def draft(self, **fields) -> Application:
        return application_for(self.physician, self.institution, qualification=self.qualification, **fields)

    def submitted(self, **fields) -> Application:
        return services.application_submit(application=self.draft(**fields), actor=self.physician)

    def institution_approved(self, **fields) -> Application:
        return services.application_approve_by_institution(application=self.submitted(**fields), actor=self.staff)

    def approved(self, **fields) -> Application:
        application = self.institution_approved(**fields)
        return services.application_approve_by_authority(
            application=application,
            actor=self.clerk,
            checklist=checklist_codes(application),
        )
