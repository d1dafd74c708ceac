from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "wavetag.reports"
    label = "reports"
