from django.apps import AppConfig


class MentoringConfig(AppConfig):
    name = "mentoring"

    def ready(self) -> None:
        from mentoring import receivers  # noqa: F401 - connects the receivers
