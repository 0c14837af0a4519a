from django.apps import AppConfig


class ReviewappConfig(AppConfig):
    name = "reviewapp"
    verbose_name = "Reviews"

    def ready(self) -> None:
        # Registers the Celery tasks by name in every process (services queue them by name, see lib/queue.py);
        # the module imports models, so it can only be imported once the apps are ready.
        from . import tasks  # noqa: F401
