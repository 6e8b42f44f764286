"""REST endpoints of the generations app."""

from django.urls import path

urlpatterns: list = []
