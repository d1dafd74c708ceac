from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "wavetag.annotations"
    label = "annotations"

    def ready(self) -> None:
        from wavetag.analysis.workers import register_sweep

        from .release_jobs import fail_dead_builds

        # Workers fail dead builds on their heartbeat, as they do dead analysis runs: a
        # build whose worker died must not show "running" until someone builds again.
        register_sweep(fail_dead_builds)
