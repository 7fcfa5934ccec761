"""Moderation: hiding and restoring posts, silencing and suspending members, appeals, and the moderation log.

- Silenced: the member reads but cannot open topics, reply, edit posts or send messages.
- Suspended: the member cannot act at all. `community.middleware.MemberActivityMiddleware` sends a suspended
  member's every page (an existing session as much as a new sign-in) to their standing page, where they see why and
  until when, and may appeal; the API and the services answer 403 with the reason.
- A sanction ends by itself at `ends_at` (nothing to run); a moderator may lift it earlier, with a reason.
- The member may appeal each sanction once, with text; a moderator grants (the sanction is lifted) or denies it,
  with a reason the member sees.
- Every moderator action writes one `ModerationAction` row: the log moderators read on their page and in the admin.

Reads cost one query; the middleware keeps the answer in the cache for a minute, cleared whenever a sanction of the
member is created or lifted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from community.models import (
    Appeal,
    AppealStatus,
    HiddenReason,
    Member,
    ModerationAction,
    ModerationActionKind,
    Post,
    Sanction,
    SanctionKind,
    Verification,
    VerificationStatus,
)
from community.services import notification_create

REASON_MAX_CHARS = 2000
APPEAL_MIN_CHARS = 10
MAX_SANCTION = timedelta(days=365)
MIN_SANCTION = timedelta(hours=1)
SANCTION_CACHE_SECONDS = 60


class SanctionActive(PermissionDenied):
    """The member is silenced or suspended; the message says why and until when. The API answers 403 with it."""


# --- Checks ---------------------------------------------------------------------------------------------------------


def moderator_check(member: Member) -> None:
    from community.forums.selectors import member_can_moderate

    if not member_can_moderate(member):
        raise PermissionDenied(_("Only moderators can do this."))


def sanction_active(*, member: Member, kinds: tuple[str, ...] = tuple(SanctionKind.values)) -> Sanction | None:
    """The member's active sanction of one of `kinds` that ends last (suspension first), or None."""
    if not getattr(member, "pk", None):
        return None
    now = timezone.now()
    sanctions = Sanction.objects.filter(
        member_id=member.pk, kind__in=kinds, lifted_at__isnull=True, starts_at__lte=now, ends_at__gt=now
    )
    return sanctions.order_by("-kind", "-ends_at").first()  # "suspend" sorts after "silence"


def _until(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def sanction_message(sanction: Sanction) -> str:
    if sanction.kind == SanctionKind.SUSPEND:
        text = _("Your account is suspended until %(until)s. Reason: “%(reason)s”.")
    else:
        text = _("You are silenced until %(until)s: you can read, but not post or send messages. Reason: “%(reason)s”.")
    return (
        text % {"until": _until(sanction.ends_at), "reason": sanction.reason}
        + " "
        + _("You can appeal on your account standing page.")
    )


def sanction_post_check(member: Member) -> None:
    """Silenced and suspended members cannot write posts or messages."""
    sanction = sanction_active(member=member)
    if sanction is not None:
        raise SanctionActive(sanction_message(sanction))


def sanction_act_check(member: Member) -> None:
    """Suspended members cannot act at all (react, flag)."""
    sanction = sanction_active(member=member, kinds=(SanctionKind.SUSPEND,))
    if sanction is not None:
        raise SanctionActive(sanction_message(sanction))


def _cache_key(member_id: int) -> str:
    return f"moderation:suspension:{member_id}"


@dataclass(frozen=True)
class CachedSuspension:
    ends_at: datetime


def suspension_cached(*, member_id: int) -> CachedSuspension | None:
    """For the middleware: whether the member is suspended, from the cache when it was asked in the last minute."""
    key = _cache_key(member_id)
    cached = cache.get(key)
    if cached is None:
        now = timezone.now()
        ends = (
            Sanction.objects.filter(
                member_id=member_id,
                kind=SanctionKind.SUSPEND,
                lifted_at__isnull=True,
                starts_at__lte=now,
                ends_at__gt=now,
            )
            .order_by("-ends_at")
            .values_list("ends_at", flat=True)
            .first()
        )
        cached = ends.isoformat() if ends else ""
        cache.set(key, cached, SANCTION_CACHE_SECONDS)
    if not cached:
        return None
    ends_at = datetime.fromisoformat(cached)
    return CachedSuspension(ends_at=ends_at) if ends_at > timezone.now() else None


def _cache_clear(member_id: int) -> None:
    transaction.on_commit(lambda: cache.delete(_cache_key(member_id)))


# --- The log --------------------------------------------------------------------------------------------------------


def log_write(
    *,
    action: str,
    actor: Member | None,
    member: Member | None = None,
    post: Post | None = None,
    sanction: Sanction | None = None,
    reason: str = "",
) -> ModerationAction:
    if action not in ModerationActionKind.values:
        raise ValueError(f"Unknown moderation action {action!r}")
    return ModerationAction.objects.create(
        action=action,
        actor=actor,
        member=member,
        post=post,
        sanction=sanction,
        reason=(reason or "")[:REASON_MAX_CHARS],
    )


def _reason_clean(reason: str, *, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: _("Give a reason: the member will read it.")})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError({field: _("Keep the reason under %(count)s characters.") % {"count": REASON_MAX_CHARS}})
    return reason


# --- Posts ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def post_hide(*, post: Post, moderator: Member, reason: str) -> Post:
    """Hides a post pending or after review; its author is told why. The text and its edit history are kept."""
    moderator_check(moderator)
    reason = _reason_clean(reason)
    post = Post.objects.select_for_update().select_related("topic").get(pk=post.pk)
    if post.hidden and post.hidden_reason == HiddenReason.MODERATOR:
        raise ValidationError({"reason": _("A moderator has already hidden this post.")})
    post.hidden, post.hidden_reason = True, HiddenReason.MODERATOR
    post.save(update_fields=["hidden", "hidden_reason"])
    log_write(action=ModerationActionKind.HIDE, actor=moderator, member=post.author, post=post, reason=reason)
    notification_create(
        member=post.author,
        text=_("A moderator hid your post in “%(title)s”: %(reason)s") % {"title": post.topic.title, "reason": reason},
        url=post.get_absolute_url(),
        kind="moderation",
    )
    return post


@transaction.atomic
def post_restore(*, post: Post, moderator: Member, reason: str) -> Post:
    moderator_check(moderator)
    reason = _reason_clean(reason)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.hidden:
        raise ValidationError({"reason": _("This post is not hidden.")})
    post.hidden, post.hidden_reason = False, ""
    post.save(update_fields=["hidden", "hidden_reason"])
    log_write(action=ModerationActionKind.RESTORE, actor=moderator, member=post.author, post=post, reason=reason)
    return post


# --- Sanctions ------------------------------------------------------------------------------------------------------


@transaction.atomic
def sanction_create(*, member: Member, moderator: Member, kind: str, reason: str, duration: timedelta) -> Sanction:
    """Silences or suspends a member for `duration` (1 hour to a year), with a reason they will read."""
    moderator_check(moderator)
    if kind not in SanctionKind.values:
        raise ValidationError({"kind": _("Choose to silence or to suspend.")})
    reason = _reason_clean(reason)
    if not MIN_SANCTION <= duration <= MAX_SANCTION:
        raise ValidationError({"duration": _("Choose a duration between 1 hour and 365 days.")})
    if member.pk == moderator.pk:
        raise ValidationError({"member": _("You cannot sanction yourself.")})
    from community.forums.selectors import member_can_moderate

    if member_can_moderate(member):
        raise ValidationError({"member": _("Moderators and staff cannot be sanctioned here; ask an administrator.")})
    Member.objects.select_for_update().filter(pk=member.pk).first()
    now = timezone.now()
    sanction = Sanction.objects.create(
        member=member, kind=kind, reason=reason, starts_at=now, ends_at=now + duration, created_by=moderator
    )
    log_write(action=kind, actor=moderator, member=member, sanction=sanction, reason=reason)
    notification_create(
        member=member,
        text=sanction_message(sanction),
        url=reverse("community:standing"),
        kind="moderation",
    )
    _cache_clear(member.pk)
    return sanction


def member_silence(*, member: Member, moderator: Member, reason: str, duration: timedelta) -> Sanction:
    return sanction_create(
        member=member, moderator=moderator, kind=SanctionKind.SILENCE, reason=reason, duration=duration
    )


def member_suspend(*, member: Member, moderator: Member, reason: str, duration: timedelta) -> Sanction:
    return sanction_create(
        member=member, moderator=moderator, kind=SanctionKind.SUSPEND, reason=reason, duration=duration
    )


def _lift(*, sanction: Sanction, moderator: Member, reason: str) -> Sanction:
    sanction.lifted_at, sanction.lifted_by, sanction.lift_reason = timezone.now(), moderator, reason
    sanction.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    log_write(
        action=ModerationActionKind.LIFT, actor=moderator, member=sanction.member, sanction=sanction, reason=reason
    )
    _cache_clear(sanction.member_id)
    return sanction


@transaction.atomic
def sanction_lift(*, sanction: Sanction, moderator: Member, reason: str) -> Sanction:
    """Ends a sanction early (granting an open appeal of it); the member is told."""
    moderator_check(moderator)
    reason = _reason_clean(reason)
    sanction = Sanction.objects.select_for_update().select_related("member").get(pk=sanction.pk)
    if not sanction.is_active:
        raise ValidationError({"reason": _("This sanction has already ended.")})
    _lift(sanction=sanction, moderator=moderator, reason=reason)
    # Lifting answers an open appeal too.
    Appeal.objects.filter(sanction=sanction, status=AppealStatus.OPEN).update(
        status=AppealStatus.GRANTED, decided_by=moderator, decided_at=timezone.now(), decision_reason=reason
    )
    notification_create(
        member=sanction.member,
        text=_("A moderator lifted your %(kind)s early: %(reason)s")
        % {"kind": sanction.get_kind_display().lower(), "reason": reason},
        url=reverse("community:standing"),
        kind="moderation",
    )
    return sanction


# --- Appeals --------------------------------------------------------------------------------------------------------


@transaction.atomic
def appeal_create(*, sanction: Sanction, member: Member, text: str) -> Appeal:
    """The sanctioned member asks moderators to reconsider, once per sanction."""
    if sanction.member_id != member.pk:
        raise PermissionDenied(_("You can appeal your own sanctions only."))
    text = (text or "").strip()
    if len(text) < APPEAL_MIN_CHARS:
        raise ValidationError(
            {
                "text": _("Tell the moderators in at least %(count)s characters why they should reconsider.")
                % {"count": APPEAL_MIN_CHARS}
            }
        )
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError({"text": _("Keep your appeal under %(count)s characters.") % {"count": REASON_MAX_CHARS}})
    sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
    if not sanction.is_active:
        raise ValidationError({"text": _("This sanction has ended; there is nothing to appeal.")})
    if Appeal.objects.filter(sanction=sanction).exists():
        raise ValidationError({"text": _("You have already appealed this sanction. A moderator will answer.")})
    try:
        with transaction.atomic():
            return Appeal.objects.create(sanction=sanction, text=text)
    except IntegrityError as error:
        raise ValidationError(
            {"text": _("You have already appealed this sanction. A moderator will answer.")}
        ) from error


@transaction.atomic
def appeal_decide(*, appeal: Appeal, moderator: Member, grant: bool, reason: str) -> Appeal:
    """Grants the appeal (the sanction is lifted) or denies it; the member reads the reason either way."""
    moderator_check(moderator)
    reason = _reason_clean(reason)
    appeal = Appeal.objects.select_for_update().select_related("sanction__member").get(pk=appeal.pk)
    if appeal.status != AppealStatus.OPEN:
        raise ValidationError({"reason": _("This appeal was already decided.")})
    if appeal.sanction.created_by_id == moderator.pk and not moderator.is_staff:
        raise ValidationError({"reason": _("Another moderator decides appeals of your own sanctions.")})
    appeal.status = AppealStatus.GRANTED if grant else AppealStatus.DENIED
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = moderator, timezone.now(), reason
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    sanction = Sanction.objects.select_for_update().get(pk=appeal.sanction_id)
    log_write(
        action=ModerationActionKind.APPEAL_DECIDED,
        actor=moderator,
        member=sanction.member,
        sanction=sanction,
        reason=f"{appeal.get_status_display()}: {reason}",
    )
    if grant and sanction.is_active:
        _lift(sanction=sanction, moderator=moderator, reason=reason)
    text = (
        _("Your appeal was granted and the sanction lifted: %(reason)s")
        if grant
        else _("Your appeal was denied: %(reason)s")
    )
    notification_create(
        member=sanction.member, text=text % {"reason": reason}, url=reverse("community:standing"), kind="moderation"
    )
    return appeal


# --- Flags ----------------------------------------------------------------------------------------------------------


def flag_cap_check(*, flags_today: int, cap: int) -> None:
    """Refuses a flag past the member's daily cap (by trust level), saying so."""
    if flags_today < cap:
        return
    raise ValidationError(
        {
            "reason": _(
                "You have flagged %(count)s posts today, the most your trust level allows. Moderators have been "
                "told; you can flag again tomorrow."
            )
            % {"count": cap}
        }
    )


def flag_cap_note(*, flagger: Member, flags_today: int, cap: int) -> None:
    """The flag that reaches the cap notes the member in the moderation log (once a day), so moderators can look at
    a member who flags a lot; it is written with that flag, since a refused flag writes nothing."""
    if flags_today < cap:
        return
    since = timezone.now() - timedelta(days=1)
    if ModerationAction.objects.filter(
        action=ModerationActionKind.FLAG_CAP, member=flagger, created_at__gte=since
    ).exists():
        return
    log_write(
        action=ModerationActionKind.FLAG_CAP,
        actor=None,
        member=flagger,
        reason=_("%(count)s flags in 24 hours, the daily cap of their trust level") % {"count": flags_today},
    )


# --- Reads ----------------------------------------------------------------------------------------------------------


def _badges(*paths: str) -> list[Prefetch]:
    """Each named member's approved verifications, as the member_name tag reads them (no query per name)."""
    approved = Verification.objects.filter(status=VerificationStatus.APPROVED).only("id", "member_id", "kind")
    return [Prefetch(f"{path}__verifications", queryset=approved, to_attr="approved_verifications") for path in paths]


def moderation_log() -> QuerySet[ModerationAction]:
    return (
        ModerationAction.objects.select_related("actor__profile", "member__profile", "post__topic", "sanction")
        .prefetch_related(*_badges("actor", "member"))
        .order_by("-created_at", "-id")
    )


def appeals_open() -> QuerySet[Appeal]:
    return (
        Appeal.objects.filter(status=AppealStatus.OPEN)
        .select_related("sanction__member__profile", "sanction__created_by__profile")
        .prefetch_related(*_badges("sanction__member", "sanction__created_by"))
        .order_by("created_at", "id")
    )


def sanctions_active() -> QuerySet[Sanction]:
    now = timezone.now()
    return (
        Sanction.objects.filter(lifted_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("member__profile", "created_by__profile")
        .prefetch_related(*_badges("member", "created_by"))
        .order_by("ends_at", "id")
    )


def member_sanctions(*, member: Member) -> QuerySet[Sanction]:
    return Sanction.objects.filter(member=member).select_related("appeal").order_by("-starts_at", "-id")
