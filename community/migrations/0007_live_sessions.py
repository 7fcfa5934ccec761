import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("community", "0006_notification_preferences")]

    operations = [
        migrations.CreateModel(
            name="CalendarFeedToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "member",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="calendar_feed",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="LiveSession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("description", models.TextField(blank=True, max_length=4000, verbose_name="description")),
                ("starts_at", models.DateTimeField(verbose_name="starts at")),
                (
                    "duration_minutes",
                    models.PositiveSmallIntegerField(
                        default=60,
                        validators=[
                            django.core.validators.MinValueValidator(15),
                            django.core.validators.MaxValueValidator(480),
                        ],
                        verbose_name="duration (minutes)",
                    ),
                ),
                (
                    "capacity",
                    models.PositiveIntegerField(
                        default=100,
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(10000),
                        ],
                        verbose_name="capacity",
                    ),
                ),
                ("ends_at", models.DateTimeField(editable=False, verbose_name="ends at")),
                ("topic", models.CharField(blank=True, max_length=80, verbose_name="topic")),
                (
                    "visibility",
                    models.CharField(
                        choices=[
                            ("members", "All members"),
                            ("role", "Members with a role"),
                            ("invite", "Invited members only"),
                        ],
                        default="members",
                        max_length=8,
                        verbose_name="open to",
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("buyer", "Buyer"),
                            ("seller", "Seller"),
                            ("mentor", "Mentor"),
                            ("facilitator", "Facilitator"),
                            ("ambassador", "Ambassador"),
                            ("moderator", "Moderator"),
                        ],
                        max_length=16,
                        verbose_name="role",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("scheduled", "Scheduled"), ("ended", "Ended"), ("cancelled", "Cancelled")],
                        default="scheduled",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("sequence", models.PositiveIntegerField(default=0, editable=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("ended_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("cancelled_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "archive_topic",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="community.topic",
                    ),
                ),
                (
                    "host",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="hosted_live_sessions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="host",
                    ),
                ),
                (
                    "invitees",
                    models.ManyToManyField(
                        blank=True,
                        related_name="live_session_invitations",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="invited",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        blank=True,
                        limit_choices_to={"facet": "region"},
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="live_sessions",
                        to="community.forumcategory",
                        verbose_name="region",
                    ),
                ),
            ],
            options={
                "verbose_name": "live session",
                "verbose_name_plural": "live sessions",
                "ordering": ["starts_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="LiveRSVP",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("going", "Going"), ("waitlist", "On the waitlist")],
                        default="going",
                        max_length=8,
                        verbose_name="status",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("reminded_day_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("reminded_hour_at", models.DateTimeField(blank=True, editable=False, null=True)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="live_rsvps",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="rsvps", to="community.livesession"
                    ),
                ),
            ],
            options={
                "verbose_name": "RSVP",
                "verbose_name_plural": "RSVPs",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="LiveQuestion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("body", models.CharField(max_length=500, verbose_name="question")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("upvote_count", models.PositiveIntegerField(default=0, editable=False)),
                ("pinned", models.BooleanField(default=False, verbose_name="pinned")),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("removed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="live_questions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "removed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="questions",
                        to="community.livesession",
                    ),
                ),
            ],
            options={
                "verbose_name": "live question",
                "verbose_name_plural": "live questions",
                "ordering": [
                    "-pinned",
                    models.OrderBy(models.F("answered_at"), nulls_first=True),
                    "-upvote_count",
                    "created_at",
                    "id",
                ],
            },
        ),
        migrations.CreateModel(
            name="LiveChatMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("body", models.CharField(max_length=500, verbose_name="message")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="chat_messages",
                        to="community.livesession",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="AmbassadorTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("starts_on", models.DateField(verbose_name="starts on")),
                ("ends_on", models.DateField(verbose_name="ends on")),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ambassador_terms",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="member",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        limit_choices_to={"facet": "region"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ambassador_terms",
                        to="community.forumcategory",
                        verbose_name="region",
                    ),
                ),
            ],
            options={
                "verbose_name": "ambassador term",
                "verbose_name_plural": "ambassador terms",
                "ordering": ["-starts_on", "id"],
                "indexes": [models.Index(fields=["starts_on", "ends_on"], name="community_a_starts__bb0a29_idx")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("ends_on__gte", models.F("starts_on"))),
                        name="ambassador_term_ends_after_start",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LiveQuestionVote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "member",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "question",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="votes", to="community.livequestion"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("question", "member"), name="unique_live_question_vote")
                ],
            },
        ),
        migrations.AddIndex(
            model_name="livesession",
            index=models.Index(fields=["status", "ends_at"], name="community_l_status_9a838b_idx"),
        ),
        migrations.AddConstraint(
            model_name="livesession",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("visibility", "role"), _negated=True),
                    models.Q(("role", ""), _negated=True),
                    _connector="OR",
                ),
                name="live_session_role_when_restricted",
            ),
        ),
        migrations.AddConstraint(
            model_name="livesession",
            constraint=models.CheckConstraint(
                condition=models.Q(("capacity__gte", 1)), name="live_session_capacity_positive"
            ),
        ),
        migrations.AddIndex(
            model_name="liversvp",
            index=models.Index(fields=["session", "status", "created_at"], name="community_l_session_8e5819_idx"),
        ),
        migrations.AddConstraint(
            model_name="liversvp",
            constraint=models.UniqueConstraint(fields=("session", "member"), name="unique_live_rsvp"),
        ),
        migrations.AddIndex(
            model_name="livequestion",
            index=models.Index(fields=["session", "created_at"], name="community_l_session_49bffe_idx"),
        ),
        migrations.AddIndex(
            model_name="livechatmessage",
            index=models.Index(fields=["session", "created_at"], name="community_l_session_ed8367_idx"),
        ),
    ]
