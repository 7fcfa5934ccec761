from allauth.account.signals import email_confirmed
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from community.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="community.member_profile")
def member_profile_create(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        Profile.objects.get_or_create(member=instance)


@receiver(email_confirmed, dispatch_uid="community.email_verified")
def member_email_verified(sender, request, email_address, **kwargs) -> None:
    from community.services import verification_email_record

    verification_email_record(member=email_address.user)
