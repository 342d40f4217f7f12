"""Staff inbox function: the pages where staff sign in and answer the replies handed to them
(reactivation.services.staff_inbox_web holds the routes; StaffService the actions)."""

import os

from reactivation import wiring
from reactivation.config import StaffInboxSettings
from reactivation.observability import entry_point, http_api
from reactivation.services import staff_inbox_web

settings = StaffInboxSettings.from_env(os.environ)
app = staff_inbox_web.bind(wiring.staff_inbox(settings))

lambda_handler = entry_point(http_api(app))
