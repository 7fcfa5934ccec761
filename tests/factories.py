"""Factories shared by every app's tests."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from community.models import Member

PASSWORD = "correct-horse-battery"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            self.save()
            if extracted is not False:
                EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def display_name(self, create, extracted, **kwargs):
        if create and extracted:
            self.profile.display_name = extracted
            self.profile.save(update_fields=["display_name"])
