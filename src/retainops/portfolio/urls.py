"""Pages of the portfolio."""

from django.urls import path

from retainops.portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/portfolio.csv", views.export, name="export"),
]
