import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0004_forums"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Sanction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("silence", "Silenced"), ("suspend", "Suspended")], max_length=8, verbose_name="kind"
                    ),
                ),
                ("reason", models.TextField(max_length=2000, verbose_name="reason")),
                ("starts_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("ends_at", models.DateTimeField(verbose_name="ends")),
                ("lifted_at", models.DateTimeField(blank=True, null=True)),
                ("lift_reason", models.TextField(blank=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sanctions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-starts_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ModerationAction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("hide", "Post hidden"),
                            ("restore", "Post restored"),
                            ("silence", "Member silenced"),
                            ("suspend", "Member suspended"),
                            ("lift", "Sanction lifted"),
                            ("appeal_decided", "Appeal decided"),
                            ("flag_dismissed", "Flags dismissed"),
                            ("trust_locked", "Trust level locked"),
                            ("flag_cap", "Member hit the daily flag cap"),
                        ],
                        max_length=16,
                    ),
                ),
                ("reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="moderation_actions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "post",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="community.post",
                    ),
                ),
                (
                    "sanction",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="community.sanction",
                    ),
                ),
            ],
            options={
                "verbose_name": "moderation log entry",
                "verbose_name_plural": "moderation log",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="Appeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField(max_length=2000, verbose_name="your appeal")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Waiting for a moderator"),
                            ("granted", "Granted: the sanction was lifted"),
                            ("denied", "Denied: the sanction stands"),
                        ],
                        default="open",
                        max_length=8,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("decision_reason", models.TextField(blank=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "sanction",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="appeal", to="community.sanction"
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.AddIndex(
            model_name="sanction",
            index=models.Index(fields=["member", "ends_at"], name="community_s_member__afafcb_idx"),
        ),
        migrations.AddConstraint(
            model_name="sanction",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))), name="sanction_ends"
            ),
        ),
        migrations.CreateModel(
            name="MemberTrust",
            fields=[
                (
                    "member",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="trust",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[(0, "New member"), (1, "Basic member"), (2, "Member"), (3, "Regular"), (4, "Leader")],
                        default=0,
                        verbose_name="trust level",
                    ),
                ),
                (
                    "locked_level",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        choices=[(0, "New member"), (1, "Basic member"), (2, "Member"), (3, "Regular"), (4, "Leader")],
                        null=True,
                        verbose_name="locked at level",
                    ),
                ),
                ("level_since", models.DateTimeField(default=django.utils.timezone.now)),
                ("computed_at", models.DateTimeField(blank=True, null=True)),
                ("figures", models.JSONField(blank=True, default=dict)),
                (
                    "locked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "member trust",
                "verbose_name_plural": "member trust",
            },
        ),
        migrations.CreateModel(
            name="MemberVisit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="visits", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="membervisit",
            index=models.Index(fields=["member", "-day"], name="community_m_member__9b6127_idx"),
        ),
        migrations.AddConstraint(
            model_name="membervisit",
            constraint=models.UniqueConstraint(fields=("member", "day"), name="member_visit_once_a_day"),
        ),
    ]
