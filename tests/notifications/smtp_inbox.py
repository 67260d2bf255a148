"""An aiosmtpd handler that keeps what it receives, parsed."""

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedEmail
from typing import Any


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: ParsedEmail


@dataclass
class Inbox:
    """Collects every message the server accepts (an aiosmtpd handler)."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, ParsedEmail)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"
