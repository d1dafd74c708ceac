from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wavetag.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_login_failed

        from .forms import ThrottledAdminAuthenticationForm
        from .throttle import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="wavetag-login-failed")
        admin.site.login_form = ThrottledAdminAuthenticationForm
