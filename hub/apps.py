from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Guildhall site"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page, Site

        from hub.context_processors import site_chrome_forget
        from hub.models import SiteSettings

        # The cached site name, tagline and code-of-conduct link (hub/context_processors.py) follow every edit.
        for model in (SiteSettings, Site, Page):
            post_save.connect(site_chrome_forget, sender=model, dispatch_uid=f"site-chrome-save-{model.__name__}")
            post_delete.connect(site_chrome_forget, sender=model, dispatch_uid=f"site-chrome-delete-{model.__name__}")
