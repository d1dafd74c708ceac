from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "wavetag.annotations"
    label = "annotations"
