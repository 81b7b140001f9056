from django.db import migrations


def forwards(apps, schema_editor):
    from docregistry.registrations.reference import load_reference_data
    from docregistry.registrations.register import practice_area_code

    Region = apps.get_model("registrations", "Region")
    load_reference_data(Region, apps.get_model("registrations", "PracticeScope"))  # adds the dental split
    Registration = apps.get_model("registrations", "Registration")
    known = set(Region.objects.values_list("code", flat=True))
    for registration in Registration.objects.filter(practice_area__isnull=True).select_related("institution"):
        area = practice_area_code(level=registration.level, region_code=registration.institution.region_id)
        if area in known:
            Registration.objects.filter(pk=registration.pk).update(practice_area_id=area)


class Migration(migrations.Migration):
    dependencies = [("registrations", "0008_practice_area_scopes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
