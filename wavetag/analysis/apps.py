from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "wavetag.analysis"
    label = "analysis"
