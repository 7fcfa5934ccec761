from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = _("Playbooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from playbooks import signals  # noqa: F401 - connects the receivers
