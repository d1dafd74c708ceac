from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "wavetag.records"
    label = "records"
