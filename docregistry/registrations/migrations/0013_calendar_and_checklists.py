"""Seed the holiday calendar from the ``chinese-calendar`` package (read here, at migrate time, never at run
time) and the paper checklist of every type. The operator edits both in the admin afterwards."""

from django.db import migrations


def load_calendar(apps, schema_editor):
    from docregistry.registrations.calendar import load_calendar as load

    load(apps.get_model("registrations", "CalendarDay"))


def load_checklists(apps, schema_editor):
    from docregistry.registrations.checklists import load_checklists as load

    load(apps.get_model("registrations", "ChecklistItem"))


class Migration(migrations.Migration):
    dependencies = [("registrations", "0012_paper_and_clock")]
    operations = [
        migrations.RunPython(load_calendar, migrations.RunPython.noop),
        migrations.RunPython(load_checklists, migrations.RunPython.noop),
    ]
