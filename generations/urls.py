"""Pages of the generations app."""

from django.urls import path

app_name = "generations"

urlpatterns: list = []
