from django.db import migrations


def load(apps, schema_editor):
    from docregistry.registrations.reference import LOCAL_REGIONS, PRACTICE_SCOPES, PROVINCES

    Region = apps.get_model("registrations", "Region")
    PracticeScope = apps.get_model("registrations", "PracticeScope")
    for code, name in {**PROVINCES, **LOCAL_REGIONS}.items():
        Region.objects.update_or_create(code=code, defaults={"name": name})
    for category, names in PRACTICE_SCOPES.items():
        for position, name in enumerate(names):
            PracticeScope.objects.update_or_create(category=category, name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("registrations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
