# Written by hand (issue 7): retry bookkeeping and reminder keys on the outbox.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0002_reference_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt at"),
        ),
        migrations.AddField(
            model_name="notification",
            name="key",
            field=models.CharField(blank=True, max_length=100, verbose_name="key"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("key", ""), _negated=True), fields=("key",), name="one_notification_per_key"
            ),
        ),
    ]
