from django.contrib.auth import views as auth_views
from django.urls import path

from wavetag.accounts.forms import ThrottledAuthenticationForm

from . import analysis_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset"),
    path("records/<int:record_id>/", views.record_detail, name="record"),
    path(
        "records/<int:record_id>/analysis/",
        analysis_views.record_analysis,
        name="record-analysis",
    ),
    path("healthz", views.healthz, name="healthz"),
]
