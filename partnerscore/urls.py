from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from assessments.views import (
    approvals,
    exports,
    partner,
    periods,
    portal,
    portal_reviews,
    portfolio,
    publish,
    reviews,
    schedule,
    whatif,
)
from kpis import views as kpi_views
from kpis import views_config as config
from partners import views as partner_views

urlpatterns = [
    path("", portfolio.home, name="home"),
    path("portal/", portal.home, name="portal"),
    path("portal/method/", portal.method, name="portal-method"),
    path("portal/assessments/", portal_reviews.assessments, name="portal-assessments"),
    path("assessments/", reviews.assessments, name="assessments"),
    path("partners/<str:code>/assessment/", reviews.assessment, name="assessment"),
    path("portfolio/", portfolio.portfolio, name="portfolio"),
    path("portfolio/migration/", portfolio.migration, name="migration"),
    path("portfolio/export.csv", exports.portfolio_export, name="portfolio-export"),
    path("portfolio/export.xlsx", exports.portfolio_export_xlsx, name="portfolio-export-xlsx"),
    path("partners/<str:code>/", partner.scorecard, name="scorecard"),
    path("partners/<str:code>/export.csv", exports.scorecard_export, name="scorecard-export"),
    path(
        "partners/<str:code>/export.xlsx",
        exports.scorecard_export_xlsx,
        name="scorecard-export-xlsx",
    ),
    path("partners/<str:code>/explain/<str:kpi_code>/", partner.explain, name="explain"),
    path("compare/", partner.compare, name="compare"),
    path("config/whatif/", whatif.whatif, name="whatif"),
    path("config/models/", config.models_list, name="config-models"),
    path("config/models/<slug:model>/draft/", config.draft_new, name="config-draft-new"),
    path(
        "config/models/<slug:model>/versions/<int:pk>/", config.version_edit, name="config-version"
    ),
    path(
        "config/models/<slug:model>/versions/<int:pk>/validate/",
        config.version_validate,
        name="config-version-validate",
    ),
    path(
        "config/models/<slug:model>/versions/<int:pk>/publish/",
        publish.publish,
        name="config-version-publish",
    ),
    path("config/kpis/", config.kpi_list, name="config-kpis"),
    path("config/kpis/new/", config.kpi_edit, name="config-kpi-new"),
    path("config/kpis/check/", config.kpi_formula_check_view, name="config-kpi-check"),
    path("config/kpis/<str:code>/", config.kpi_edit, name="config-kpi"),
    path("config/schedule/", schedule.schedule, name="config-schedule"),
    path("config/schedule/<int:pk>/", schedule.schedule_edit, name="config-schedule-edit"),
    path("approvals/", approvals.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", approvals.decide, name="approval-decide"),
    path("imports/", kpi_views.imports, name="imports"),
    path("imports/<int:pk>/", kpi_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/status/", kpi_views.import_status, name="import-status"),
    path("imports/<int:pk>/confirm/", kpi_views.import_confirm, name="import-confirm"),
    path("config/periods/", periods.periods, name="periods"),
    path("config/periods/add/", periods.periods_add, name="periods-add"),
    path(
        "config/periods/<str:code>/<str:action>/",
        periods.period_status,
        name="period-status",
    ),
    path(
        "history/<str:app_label>/<str:model_name>/<str:pk>/",
        partner_views.history,
        name="history",
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", partner_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", partner_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("partners/<str:code>/invite/", partner_views.invite, name="partner-invite"),
    path(
        "invitations/<str:token>/",
        partner_views.invitation_accept_view,
        name="invitation-accept",
    ),
    path("", include("feedback.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("partnerscore.api_urls")),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="api-docs"),
]
