"""Logger, metrics and tracer shared by the functions (service name from POWERTOOLS_SERVICE_NAME).

Log lines carry ids and counts, never a phone number, email, name or message text. The
formatter also masks anything shaped like a phone number or an email address, in case a
library's message carries one.
"""

from __future__ import annotations

import logging
import re

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_CONTACT = re.compile(
    r"\+\d{8,15}"  # E.164
    r"|\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"  # (415) 555-0134, 415.555.0134
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # email
)


def redact(text: str) -> str:
    return _CONTACT.sub("[redacted]", text)


class RedactingFormatter(LambdaPowertoolsFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


logger = Logger(logger_formatter=RedactingFormatter())
metrics = Metrics()
tracer = Tracer()
