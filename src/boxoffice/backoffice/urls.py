from django.urls import path
app_name="backoffice"
urlpatterns=[]
