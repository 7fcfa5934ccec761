import pytest

from community.models import Verification, VerificationKind, VerificationStatus
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_admin_review_queue_lists_documents_not_automatic_verifications(client):
    # given a member with an automatic email verification and a pending ID document
    member = MemberFactory(display_name="Queue Member")
    Verification.objects.create(member=member, kind=VerificationKind.EMAIL, status=VerificationStatus.APPROVED)
    document = Verification.objects.create(member=member, kind=VerificationKind.GOVERNMENT_ID)
    client.force_login(MemberFactory(is_staff=True, is_superuser=True))
    # when staff open the queue
    response = client.get("/django-admin/community/verification/")
    # then only the document waits there
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [document]
