"""The demo's mail server: every message becomes one .eml file in EMAIL_FILE_PATH.

Django's file backend appends messages to .log files with separator lines, which no mail
program opens. An .eml file per message opens in any mail client (and in Python's ``email``
package), so a demo user or a browser test can read exactly what the customer would get.
"""

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            # Time first so a directory listing is in sending order; the uuid keeps names unique.
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            final = self.directory / name
            partial = final.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(final)  # a reader never sees half a message
            sent += 1
        return sent
