"""REST endpoints of the annotations app."""

from django.urls import path

urlpatterns: list = []
