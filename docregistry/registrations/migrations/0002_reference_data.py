from django.db import migrations


def load(apps, schema_editor):
    from docregistry.registrations.reference import load_reference_data

    load_reference_data(apps.get_model("registrations", "Region"), apps.get_model("registrations", "PracticeScope"))


class Migration(migrations.Migration):
    dependencies = [("registrations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
