"""Pages of the generations app."""

from django.urls import path

from . import views

app_name = "generations"

urlpatterns = [
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/new/", views.job_new, name="job-new"),
    path("jobs/<id:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<id:pk>/progress.json", views.job_progress, name="job-progress"),
    path("jobs/<id:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("jobs/<id:pk>/resume/", views.job_resume, name="job-resume"),
]
