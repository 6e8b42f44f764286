"""Pages of the judges app."""

from django.urls import path

from . import views

app_name = "judges"

urlpatterns = [
    path("runs/", views.run_list, name="run-list"),
    path("runs/<id:pk>/", views.run_detail, name="run-detail"),
    path("runs/<id:pk>/progress.json", views.run_progress, name="run-progress"),
    path("runs/<id:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("runs/<id:pk>/resume/", views.run_resume, name="run-resume"),
]
