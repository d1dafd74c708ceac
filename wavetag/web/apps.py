from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wavetag.web"
    label = "web"
