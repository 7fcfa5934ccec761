"""Creates what playbooks need to exist before the first one is written:

- one BusinessModel row per BusinessModelKind;
- the playbook index page under the home page (slug "playbooks", so /playbooks/);
- the "Facilitator review" workflow: one PeerApprovalTask for the Facilitators group, assigned to the index page,
  so every playbook below it is approved by a second facilitator before it goes live;
- the Facilitators group's permissions on regions, welcome series and feedback (snippets and the feedback queue).
"""

import uuid

from django.db import migrations
from django.utils import timezone

BUSINESS_MODELS = ["handmade", "resale", "services", "rentals", "digital", "wholesale"]
WORKFLOW_NAME = "Facilitator review"
TASK_NAME = "Approval by a second facilitator"
FACILITATOR_PERMISSIONS = {
    "region": ["add", "change", "delete", "view"],
    "welcomeseries": ["add", "change", "delete", "view"],
    "playbookfeedback": ["change", "view"],
}
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4


def _base36(number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 36)
        digits = ALPHABET[remainder] + digits
    return digits.rjust(STEPLEN, "0")


def _permission(apps, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="playbooks", model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename.replace("_", " ")}
    )
    return permission


def _create_index_page(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    PlaybookIndexPage = apps.get_model("playbooks", "PlaybookIndexPage")

    existing = PlaybookIndexPage.objects.first()
    if existing is not None:
        return existing
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return None
    home = Page.objects.get(pk=site.root_page_id)
    if Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug="playbooks").exists():
        return None
    last_child = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).order_by("-path").first()
    step = int(last_child.path[-STEPLEN:], 36) + 1 if last_child else 1
    now = timezone.now()
    index = PlaybookIndexPage.objects.create(
        title="Playbooks",
        draft_title="Playbooks",
        slug="playbooks",
        content_type=ContentType.objects.get_or_create(app_label="playbooks", model="playbookindexpage")[0],
        path=home.path + _base36(step),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}playbooks/",
        live=True,
        has_unpublished_changes=False,
        first_published_at=now,
        last_published_at=now,
        locale_id=home.locale_id,
        translation_key=uuid.uuid4(),
        intro="Step-by-step guides from experienced sellers: listing, pricing, photos, and growing together.",
    )
    Page.objects.filter(pk=home.pk).update(numchild=home.numchild + 1)
    return index


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    BusinessModel = apps.get_model("playbooks", "BusinessModel")
    PeerApprovalTask = apps.get_model("playbooks", "PeerApprovalTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")

    for kind in BUSINESS_MODELS:
        BusinessModel.objects.get_or_create(kind=kind)

    facilitators, _ = Group.objects.get_or_create(name="Facilitators")
    for model, actions in FACILITATOR_PERMISSIONS.items():
        facilitators.permissions.add(*[_permission(apps, model, f"{action}_{model}") for action in actions])

    task = PeerApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = PeerApprovalTask.objects.create(
            name=TASK_NAME,
            active=True,
            content_type=ContentType.objects.get_or_create(app_label="playbooks", model="peerapprovaltask")[0],
        )
    task.groups.add(facilitators)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task_id=task.pk, defaults={"sort_order": 0})

    index = _create_index_page(apps)
    if index is not None:
        WorkflowPage.objects.update_or_create(page_id=index.pk, defaults={"workflow": workflow})


def backwards(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    PeerApprovalTask = apps.get_model("playbooks", "PeerApprovalTask")
    PlaybookIndexPage = apps.get_model("playbooks", "PlaybookIndexPage")

    Workflow.objects.filter(name=WORKFLOW_NAME).delete()
    PeerApprovalTask.objects.filter(name=TASK_NAME).delete()
    for index in PlaybookIndexPage.objects.filter(numchild=0):
        parent_path = index.path[:-STEPLEN]
        index.delete()
        parent = Page.objects.filter(path=parent_path).first()
        if parent is not None and parent.numchild:
            Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild - 1)


class Migration(migrations.Migration):
    dependencies = [
        ("playbooks", "0001_initial"),
        ("hub", "0002_home_page_and_role_groups"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
