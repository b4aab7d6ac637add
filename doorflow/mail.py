"""Outgoing e-mail over SMTP (smtplib): host, port, sender, TLS and credentials come from Settings."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from doorflow.settings import Settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    html: str
    text: str
    # A stable reference makes a stable Message-ID: if a mail must be sent again (its sending was
    # not recorded because the transaction failed afterwards), mail systems see the same message.
    # It must be unique world-wide, not only in one database: callers include the database's UUID.
    ref: str | None = None


class MailNotConfigured(RuntimeError):
    """No SMTP host is configured: the mail is recorded but cannot be sent."""


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr(("财务部", settings.smtp_sender), charset="utf-8")
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(datetime.now(UTC))  # RFC 5322 requires it; the moment of this sending
    domain = settings.smtp_sender.rpartition("@")[2] or "doorflow.local"
    msg["Message-ID"] = f"<{mail.ref}@{domain}>" if mail.ref else make_msgid(domain=domain)
    msg.set_content(mail.text, charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    return msg


def send(settings: Settings, mail: Mail) -> str:
    """Send one mail; returns its Message-ID. Raises on any SMTP failure so the job is retried."""
    if not settings.smtp_host:
        raise MailNotConfigured("smtp_host is empty")
    msg = build_message(settings, mail)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(msg)
    return str(msg["Message-ID"])
