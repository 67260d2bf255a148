from django.contrib.auth import views
class LoginView(views.LoginView): pass
class LogoutView(views.LogoutView): pass
