from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wavetag.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_delete, post_save

        from .forms import ThrottledAdminAuthenticationForm
        from .models import ApiToken, forget_token, forget_user
        from .throttle import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="wavetag-login-failed")
        post_delete.connect(forget_token, sender=ApiToken, dispatch_uid="wavetag-forget-token")
        for signal in (post_save, post_delete):
            signal.connect(forget_user, sender=get_user_model(), dispatch_uid="wavetag-forget-user")
        admin.site.login_form = ThrottledAdminAuthenticationForm
