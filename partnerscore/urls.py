from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from assessments import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("partners/<str:code>/", views.scorecard, name="scorecard"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
