from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "checks"
    verbose_name = "Evidence collection"

    def ready(self) -> None:
        # Registers the Celery tasks by name in every process (services queue them by name, see
        # reviewapp/lib/queue.py); the module imports models, so it can only be imported once the apps are ready.
        from . import tasks  # noqa: F401
