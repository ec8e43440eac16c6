from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from assessments import views
from kpis import views as kpi_views

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.csv", views.portfolio_export, name="portfolio-export"),
    path("partners/<str:code>/", views.scorecard, name="scorecard"),
    path("partners/<str:code>/export.csv", views.scorecard_export, name="scorecard-export"),
    path("imports/", kpi_views.imports, name="imports"),
    path("imports/<int:pk>/", kpi_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/status/", kpi_views.import_status, name="import-status"),
    path("imports/<int:pk>/confirm/", kpi_views.import_confirm, name="import-confirm"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("partnerscore.api_urls")),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="api-docs"),
]
