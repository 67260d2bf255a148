from django.urls import path

from boxoffice.checkin import views

app_name = "checkin"
urlpatterns = [
    path("v1/scan", views.scan, name="scan"),
]
