from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"

    def ready(self) -> None:
        from listings import signals  # noqa: F401 - connects the receivers
