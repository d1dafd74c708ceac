from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "wavetag.backups"
    label = "backups"
