"""Settings of the server `boxoffice bench run` starts: the app's own, rate limits lifted.

One client sends hundreds of requests a minute from one address with one token; the limits
would answer 429 and measure nothing. Everything else is exactly as deployed.
"""

from boxoffice.settings import *  # noqa: F403
from boxoffice.settings import RATE_LIMITS as _APP_LIMITS

RATE_LIMITS = {scope: (10**9, window) for scope, (_limit, window) in _APP_LIMITS.items()}
