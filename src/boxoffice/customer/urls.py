from django.urls import path

from boxoffice.customer import views

app_name = "customer"
urlpatterns = [
    path("<str:code>/<str:secret>/", views.order_page, name="order"),
    path("<str:code>/<str:secret>/pay", views.order_pay, name="pay"),
]
