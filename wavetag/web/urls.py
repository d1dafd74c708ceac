from django.contrib.auth import views as auth_views
from django.urls import path

from wavetag.accounts.forms import ThrottledAuthenticationForm

from . import console, review, views

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
    path("healthz", views.healthz, name="healthz"),
]

# -- expert and admin pages: adjudication, discussion, review, admin console -------------------
urlpatterns += [
    path(
        "projects/<int:project_id>/adjudication/",
        review.adjudication_queue,
        name="adjudication-queue",
    ),
    path("tasks/<int:task_id>/adjudicate/", review.adjudicate, name="adjudicate"),
    path("tasks/<int:task_id>/adjudicate/skip/", review.skip, name="adjudicate-skip"),
    path("projects/<int:project_id>/discussion/", review.discussion_list, name="discussion-list"),
    path("tasks/<int:task_id>/discussion/", review.discussion_thread, name="discussion-thread"),
    path("projects/<int:project_id>/review/", review.review, name="review"),
    path(
        "projects/<int:project_id>/review/annotations/<int:annotation_id>/flag/",
        review.flag,
        name="review-flag",
    ),
    path("projects/<int:project_id>/console/", console.console, name="console"),
    path(
        "projects/<int:project_id>/console/invitations/",
        console.invite,
        name="console-invite",
    ),
    path(
        "projects/<int:project_id>/console/members/",
        console.member_add,
        name="console-member-add",
    ),
    path(
        "projects/<int:project_id>/console/members/<int:user_id>/role/",
        console.member_role,
        name="console-member-role",
    ),
    path(
        "projects/<int:project_id>/console/members/<int:user_id>/remove/",
        console.member_remove,
        name="console-member-remove",
    ),
    path(
        "projects/<int:project_id>/console/release/",
        console.release,
        name="console-release",
    ),
]
