"""REST endpoints of the reports app."""

from django.urls import path

urlpatterns: list = []
