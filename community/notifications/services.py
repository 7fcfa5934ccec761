"""Writes for the notifications centre.

`notification_send` is the one way to tell a member something: it stores the in-app notification (pushed live to
their open pages after commit) and then emails it now, leaves it for the daily digest, or never emails it, as the
member chose for its kind. Apps that write their own emails (order emails rendered from templates, the "you have
unread messages" email) send them through `notification_email`, which applies the same choice and adds the
one-click unsubscribe link.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import (
    EmailDelivery,
    Member,
    Notification,
    NotificationDigest,
    NotificationKind,
    NotificationPreference,
)
from community.notifications import selectors
from community.services import notification_create, notifications_group
from hub.realtime import group_send

UNSUBSCRIBE_SALT = "community.notifications.unsubscribe"
DIGEST_MAX_ITEMS = 50


def notification_send(
    *,
    member: Member,
    kind: str,
    text: str,
    url: str = "",
    email_subject: str = "",
    email_body: str = "",
) -> Notification:
    """Stores and pushes the notification; emails it after commit if the member wants this kind immediately.
    Without `email_subject`/`email_body` the email says the notification's text and link."""
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification kind: {kind}")
    notification = notification_create(member=member, kind=kind, text=text, url=url)
    if not member.is_active or not member.email:
        return notification
    if selectors.email_delivery_for(member=member, kind=kind) != EmailDelivery.IMMEDIATELY:
        return notification  # the digest picks it up if unread, or nothing is sent
    subject = email_subject or notification.text
    body = email_body or _notification_body(notification)
    notification_id = notification.pk

    def later() -> None:
        from community.tasks import notification_email_send

        notification_email_send.delay(notification_id, str(subject), str(body))

    transaction.on_commit(later, robust=True)
    return notification


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def _notification_body(notification: Notification) -> str:
    link = _absolute(notification.url) if notification.url else _absolute("/members/me/notifications/")
    return f"{notification.text}\n\n{link}"


def unsubscribe_token(*, member: Member, kind: str) -> str:
    return signing.dumps({"m": member.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, member: Member, kind: str) -> str:
    return _absolute(reverse("community:notifications_unsubscribe", args=[unsubscribe_token(member=member, kind=kind)]))


def _footer(*, member: Member, kinds: list[str]) -> str:
    lines = [
        "",
        "--",
        _("Choose which emails you get: %(url)s") % {"url": _absolute(reverse("community:notification_settings"))},
    ]
    for kind in kinds:
        lines.append(
            _("Stop emails about %(kind)s: %(url)s")
            % {"kind": NotificationKind(kind).label.lower(), "url": unsubscribe_url(member=member, kind=kind)}
        )
    return "\n".join(lines)


def notification_email(*, member: Member, kind: str, subject: str, body: str) -> bool:
    """Emails a member about `kind` if they want it immediately; adds the unsubscribe link and the headers mail
    clients use for one-click unsubscribe (RFC 8058). Returns whether it was sent."""
    if not member.is_active or not member.email:
        return False
    if selectors.email_delivery_for(member=member, kind=kind) != EmailDelivery.IMMEDIATELY:
        return False
    link = unsubscribe_url(member=member, kind=kind)
    message = EmailMessage(
        subject=" ".join(str(subject).split())[:200],
        body=f"{body}\n{_footer(member=member, kinds=[kind])}\n",
        to=[member.email],
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.send()
    return True


def notification_email_deliver(*, notification_id: int, subject: str, body: str) -> bool:
    """The Celery side of notification_send: the choice is checked again, it may have changed meanwhile."""
    notification = Notification.objects.select_related("member").filter(pk=notification_id).first()
    if notification is None:
        return False
    return notification_email(member=notification.member, kind=notification.kind, subject=subject, body=body)


# --- Read state ----------------------------------------------------------------------------------------------


def _unread_push(member: Member) -> None:
    member_id = member.pk

    def push() -> None:
        from community.selectors import notifications_unread_count

        group_send(
            notifications_group(member_id),
            {"type": "notification.unread", "unread": notifications_unread_count(member=member)},
        )

    transaction.on_commit(push, robust=True)


@transaction.atomic
def notification_read(*, member: Member, notification_id: int) -> Notification | None:
    """Marks one of the member's notifications read; None if it is not theirs (the caller answers 404)."""
    notification = Notification.objects.select_for_update().filter(member=member, pk=notification_id).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _unread_push(member)
    return notification


@transaction.atomic
def notifications_read_all(*, member: Member) -> int:
    count = Notification.objects.filter(member=member, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        _unread_push(member)
    return count


# --- Preferences ---------------------------------------------------------------------------------------------


@transaction.atomic
def email_preferences_update(*, member: Member, preferences: dict[str, str]) -> dict[str, str]:
    """Sets the email choice for the kinds given; unknown kinds or choices are refused before anything is saved."""
    errors = {}
    for kind, choice in preferences.items():
        if kind not in NotificationKind.values:
            errors[kind] = _("Unknown kind of notification.")
        elif choice not in EmailDelivery.values:
            errors[kind] = _("Choose immediately, in the daily digest, or never.")
    if errors:
        raise ValidationError(errors)
    for kind, choice in preferences.items():
        NotificationPreference.objects.update_or_create(member=member, kind=kind, defaults={"email": choice})
    return selectors.email_preferences(member=member)


def unsubscribe_token_read(*, token: str) -> tuple[Member, str]:
    """The member and kind an unsubscribe link names. Links do not expire (an old email must still work) and
    cannot be forged: they are signed with SECRET_KEY."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        member = Member.objects.get(pk=int(payload["m"]), is_active=True)
        kind = str(payload["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Member.DoesNotExist) as error:
        raise ValidationError(_("This unsubscribe link is not valid.")) from error
    if kind not in NotificationKind.values:
        raise ValidationError(_("This unsubscribe link is not valid."))
    return member, kind


def email_unsubscribe(*, token: str) -> tuple[Member, str]:
    """Applies an unsubscribe link (a POST: the page's button or a mail client's one-click): the kind it names is
    set to 'never'."""
    member, kind = unsubscribe_token_read(token=token)
    email_preferences_update(member=member, preferences={kind: EmailDelivery.NEVER})
    return member, kind


# --- Daily digest --------------------------------------------------------------------------------------------


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def digest_day_default() -> date:
    """The beat task runs in the morning and sends the previous day."""
    return timezone.localdate() - timedelta(days=1)


def notifications_digest_send(*, day: date | None = None) -> int:
    """Sends each member one email listing the day's unread notifications of the kinds they chose for the digest.
    Idempotent per member per day (NotificationDigest); a member with nothing to list gets no email. Returns the
    number of emails sent."""
    day = day or digest_day_default()
    start, end = _day_bounds(day)
    member_ids = (
        Notification.objects.filter(created_at__gte=start, created_at__lt=end, read_at__isnull=True)
        .exclude(member__in=NotificationDigest.objects.filter(day=day).values("member"))
        .values_list("member_id", flat=True)
        .distinct()
        .order_by("member_id")
    )
    sent = 0
    for member_id in list(member_ids):
        if digest_send_one(member_id=member_id, day=day):
            sent += 1
    return sent


@transaction.atomic
def digest_send_one(*, member_id: int, day: date) -> bool:
    member = Member.objects.filter(pk=member_id, is_active=True).exclude(email="").first()
    if member is None:
        return False
    preferences = selectors.email_preferences(member=member)
    kinds = [kind for kind, choice in preferences.items() if choice == EmailDelivery.DIGEST]
    if not kinds:
        return False
    start, end = _day_bounds(day)
    items = list(
        Notification.objects.filter(
            member=member, kind__in=kinds, read_at__isnull=True, created_at__gte=start, created_at__lt=end
        ).order_by("created_at", "id")[: DIGEST_MAX_ITEMS + 1]
    )
    if not items:
        return False
    try:
        with transaction.atomic():
            NotificationDigest.objects.create(member=member, day=day, count=len(items))
    except IntegrityError:
        return False  # another run sent it already
    shown = items[:DIGEST_MAX_ITEMS]
    subject = ngettext(
        "Your Guildhall digest: %(count)s notification",
        "Your Guildhall digest: %(count)s notifications",
        len(items),
    ) % {"count": len(items)}
    lines = [_("What happened on Guildhall on %(day)s:") % {"day": day.isoformat()}, ""]
    for item in shown:
        lines.append(f"- {item.text}")
        if item.url:
            lines.append(f"  {_absolute(item.url)}")
    if len(items) > DIGEST_MAX_ITEMS:
        lines.append("")
        lines.append(_("And more: %(url)s") % {"url": _absolute(reverse("community:notifications"))})
    used = [kind for kind in kinds if any(item.kind == kind for item in shown)]
    body = "\n".join(lines) + "\n" + _footer(member=member, kinds=used) + "\n"
    email = member.email

    transaction.on_commit(lambda: EmailMessage(subject=subject, body=body, to=[email]).send())
    return True
