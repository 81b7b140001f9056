from django.db import migrations


def load(apps, schema_editor):
    from docregistry.registrations.grounds import load_grounds

    load_grounds(apps.get_model("registrations", "Ground"))


class Migration(migrations.Migration):
    dependencies = [("registrations", "0006_register_states")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
