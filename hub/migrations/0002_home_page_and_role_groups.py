"""Creates the Guildhall home page in place of Wagtail's welcome page, and the groups that carry the permissions
of staff-granted roles (facilitators edit the CMS; moderators review verifications)."""

import uuid

from django.db import migrations

FACILITATOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
FACILITATOR_COLLECTION_PERMISSIONS = {
    "wagtailimages": ["add_image", "change_image", "choose_image"],
    "wagtaildocs": ["add_document", "change_document", "choose_document"],
}


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename.replace("_", " ")}
    )
    return permission


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Locale = apps.get_model("wagtailcore", "Locale")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    Group = apps.get_model("auth", "Group")
    HomePage = apps.get_model("hub", "HomePage")

    page_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    Page.objects.filter(content_type=page_type, slug="home", depth=2).delete()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="hub")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="Home",
        draft_title="Home",
        slug="home",
        content_type=home_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        live=True,
        locale=locale,
        translation_key=uuid.uuid4(),
        hero_title="Buy, sell and grow together",
    )
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True, site_name="Guildhall")

    facilitators, _ = Group.objects.get_or_create(name="Facilitators")
    facilitators.permissions.add(
        _permission(apps, "wagtailadmin", "admin", "access_admin"),
        _permission(apps, "hub", "sitesettings", "change_sitesettings"),
    )
    for codename in FACILITATOR_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=facilitators, page_id=home.pk, permission=_permission(apps, "wagtailcore", "page", codename)
        )
    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for app_label, codenames in FACILITATOR_COLLECTION_PERMISSIONS.items():
            model = "image" if app_label == "wagtailimages" else "document"
            for codename in codenames:
                GroupCollectionPermission.objects.get_or_create(
                    group=facilitators,
                    collection=root_collection,
                    permission=_permission(apps, app_label, model, codename),
                )
    moderators, _ = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.add(
        _permission(apps, "community", "verification", "view_verification"),
        _permission(apps, "community", "verification", "change_verification"),
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Facilitators", "Moderators"]).delete()
    apps.get_model("hub", "HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hub", "0001_initial"),
        ("community", "0001_initial"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailadmin", "0006_formstate"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
