from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "wavetag.analysis"
    label = "analysis"

    def ready(self) -> None:
        from .import_jobs import fail_dead_imports
        from .workers import register_sweep

        # A job whose worker died is failed (and its staged files removed) within a
        # heartbeat of any worker, not only when its uploader next asks after it.
        register_sweep(fail_dead_imports)
