from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wavetag.accounts"
    label = "accounts"
