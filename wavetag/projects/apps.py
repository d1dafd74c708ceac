from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "wavetag.projects"
    label = "projects"
