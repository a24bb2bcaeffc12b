from django.urls import path

from . import views

app_name = "adminpanel"

urlpatterns = [
    path("", views.operations, name="operations"),
    path("sweep/", views.run_sweep, name="run_sweep"),
    path("sweeps/", views.sweep_runs, name="sweep_runs"),
    path("department/", views.department, name="department"),
    path("dead/<uuid:sid>/requeue/", views.requeue, name="requeue"),
]
