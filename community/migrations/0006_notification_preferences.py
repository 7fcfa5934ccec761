import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KINDS = [
    ("orders", "Orders, payments and disputes"),
    ("messages", "Private messages"),
    ("forums", "Forum replies and mentions"),
    ("mentoring", "Mentoring"),
    ("events", "Live sessions and events"),
    ("moderation", "Moderation"),
    ("account", "Your account and verification"),
]


class Migration(migrations.Migration):
    dependencies = [("community", "0005_trust_moderation")]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="kind",
            field=models.CharField(choices=KINDS, default="account", max_length=20),
        ),
        migrations.CreateModel(
            name="NotificationDigest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("count", models.PositiveIntegerField()),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("member", "day"), name="notification_digest_one_per_day")
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=KINDS, max_length=20)),
                (
                    "email",
                    models.CharField(
                        choices=[("immediately", "Immediately"), ("digest", "In the daily digest"), ("never", "Never")],
                        max_length=20,
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notification_preferences",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("member", "kind"), name="notification_preference_one_per_kind")
                ],
            },
        ),
    ]
