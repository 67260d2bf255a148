from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from boxoffice.api.views import api
from boxoffice.backoffice import auth_views, second_factor_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:order_list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/2fa/", second_factor_views.second_factor_page, name="second_factor"),
    path("accounts/2fa/verify/", second_factor_views.verify, name="second_factor_verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("backoffice/", include("boxoffice.backoffice.urls")),
    path("o/", include("boxoffice.customer.urls")),
    path("payments/", include("boxoffice.payments.urls")),
    path("checkin/", include("boxoffice.checkin.urls")),
    path("api/v1/", api.urls),
]

if settings.PAYTRAIL_SANDBOX:
    # The fake Paytrail (PAYTRAIL_API_URL's default); production turns it off.
    urlpatterns.append(path("paytrail-sandbox/", include("boxoffice.paytrail_sandbox.urls")))
