from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import JSONCatalog

from wavetag.accounts.forms import ThrottledAuthenticationForm, ThrottledPasswordResetForm

from . import (
    account_tokens,
    agreement_views,
    analysis_views,
    annotate,
    beat_pages,
    console,
    dataset_pages,
    language,
    monitoring,
    practice_views,
    review,
    views,
)

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
    path("datasets/new/", dataset_pages.new_dataset, name="dataset-new"),
    path("records/<int:record_id>/", views.record_detail, name="record"),
    path(
        "records/<int:record_id>/analysis/",
        analysis_views.record_analysis,
        name="record-analysis",
    ),
    path("annotation-sets/<int:set_id>/history/", views.set_history_page, name="set-history"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", monitoring.readyz, name="readyz"),
    path("metrics", monitoring.metrics, name="metrics"),
]

# -- annotator side: projects, batches, the annotation page, accounts -------------------
urlpatterns += [
    path("projects/<int:project_id>/", annotate.project_page, name="project"),
    path("projects/<int:project_id>/claim/", annotate.claim, name="project_claim"),
    path("projects/<int:project_id>/continue/", annotate.resume, name="project_continue"),
    path("projects/<int:project_id>/mine/", annotate.mine, name="project_mine"),
    path("projects/<int:project_id>/practice/", practice_views.practice_page, name="practice"),
    path(
        "projects/<int:project_id>/practice/start/",
        practice_views.practice_start,
        name="practice-start",
    ),
    path("practice-items/<int:item_id>/", practice_views.practice_answer, name="practice-answer"),
    path("tasks/<int:task_id>/", annotate.task_page, name="task"),
    path("tasks/<int:task_id>/history/", annotate.task_history, name="task_history"),
    path(
        "tasks/<int:task_id>/change-request/",
        annotate.change_request,
        name="task-change-request",
    ),
    path("tasks/<int:task_id>/reopen/", review.reopen, name="task-reopen"),
    path("tasks/<int:task_id>/gold/", review.use_as_gold, name="task-gold"),
    path(
        "tasks/<int:task_id>/beats/analysis/",
        beat_pages.request_analysis,
        name="task-beats-analysis",
    ),
    path("register/", annotate.register, name="register"),
    path("account/", annotate.account, name="account"),
    path("account/preferences/", language.save_preferences, name="account-preferences"),
    path("language/", language.switch_language, name="switch-language"),
    path("i18n/catalogue.json", JSONCatalog.as_view(domain="djangojs"), name="js-catalogue"),
    path("account/join/", annotate.accept, name="account_accept"),
    path("account/tokens/", account_tokens.create, name="account-token-create"),
    path(
        "account/tokens/<str:prefix>/revoke/",
        account_tokens.revoke,
        name="account-token-revoke",
    ),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/account_password_change.html",
            success_url=reverse_lazy("account_password_changed"),
        ),
        name="account_password",
    ),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="web/account_password_changed.html"
        ),
        name="account_password_changed",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="web/account_reset_request.html",
            form_class=ThrottledPasswordResetForm,
            email_template_name="web/account_reset_email.txt",
            subject_template_name="web/account_reset_subject.txt",
            success_url=reverse_lazy("password_reset_sent"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/account_reset_sent.html"),
        name="password_reset_sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/account_reset_confirm.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="web/account_reset_done.html"),
        name="password_reset_complete",
    ),
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
        "projects/<int:project_id>/console/members/<int:user_id>/pause/",
        console.member_pause,
        name="console-member-pause",
    ),
    path(
        "projects/<int:project_id>/console/members/<int:user_id>/remove/",
        console.member_remove,
        name="console-member-remove",
    ),
    path(
        "projects/<int:project_id>/console/settings/",
        console.settings,
        name="console-settings",
    ),
    path(
        "projects/<int:project_id>/console/schema/",
        console.schema,
        name="console-schema",
    ),
    path(
        "projects/<int:project_id>/console/release/",
        console.release,
        name="console-release",
    ),
    path(
        "projects/<int:project_id>/console/release-bundles/",
        console.release_bundle,
        name="console-release-bundle",
    ),
    path(
        "projects/<int:project_id>/agreement/",
        agreement_views.agreement,
        name="agreement",
    ),
]

# -- statistics: leaderboards, an annotator's own figures, the experts' decisions ----------
from . import leaderboard_views  # noqa: E402

urlpatterns += [
    path("leaderboard/", leaderboard_views.site_board, name="site-leaderboard"),
    path(
        "projects/<int:project_id>/leaderboard/",
        leaderboard_views.leaderboard,
        name="leaderboard",
    ),
    path("projects/<int:project_id>/me/", leaderboard_views.me, name="my-stats"),
    path(
        "projects/<int:project_id>/decisions/",
        leaderboard_views.decisions,
        name="decisions",
    ),
]

# -- the tutorial: a guided walkthrough of each built-in template's task page ------------------
from . import tutorial  # noqa: E402

urlpatterns += [
    path("tutorial/", tutorial.index, name="tutorial"),
    path("tutorial/<slug:template>/", tutorial.walkthrough, name="tutorial-walk"),
    path("tutorial/<slug:template>/restart/", tutorial.restart, name="tutorial-restart"),
]

# -- creating projects ----------------------------------------------------------------------
from . import new_project  # noqa: E402

urlpatterns += [
    path("projects/new/", new_project.new_project, name="project-new"),
    path("projects/new/preview/", new_project.preview_form, name="project-new-preview"),
]

# -- open projects and teams ----------------------------------------------------------------
from . import catalogue, console_teams  # noqa: E402

urlpatterns += [
    path("projects/open/", catalogue.catalogue, name="open-projects"),
    path("projects/<int:project_id>/join/", catalogue.join, name="project-join"),
    path("projects/<int:project_id>/leave/", catalogue.leave, name="project-leave"),
    path(
        "projects/<int:project_id>/console/teams/",
        console_teams.team_create,
        name="console-team-create",
    ),
    path(
        "projects/<int:project_id>/console/teams/members/",
        console_teams.team_add,
        name="console-team-add",
    ),
    path(
        "projects/<int:project_id>/console/teams/<int:team_id>/remove/",
        console_teams.team_remove,
        name="console-team-remove",
    ),
]

# -- importing from PhysioNet (dataset managers) ------------------------------------------------
from . import physionet_views  # noqa: E402

urlpatterns += [
    path("datasets/physionet/", physionet_views.physionet_page, name="physionet-import"),
]
