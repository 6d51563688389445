"""Service layer of the hosting side. Each function takes a SQLAlchemy `Session`, does one job and owns its
commit; views and commands call one of these and render or print the result."""

from .customer_lists import read_customer_ids
from .errors import (
    ClosedSurvey,
    ExpiredLink,
    HostingError,
    UnknownLink,
    UnknownSurvey,
)
from .export import export_responses, iter_response_rows, response_columns, response_frame
from .invitations import IssuedLink, create_invitations, publish_with_links
from .publishing import close_survey, latest_version, publish_survey, survey_of
from .tallies import rebuild_tallies  # also registers the tally count of responses inserted complete

__all__ = [
    "ClosedSurvey",
    "ExpiredLink",
    "HostingError",
    "IssuedLink",
    "UnknownLink",
    "UnknownSurvey",
    "close_survey",
    "create_invitations",
    "export_responses",
    "iter_response_rows",
    "latest_version",
    "publish_survey",
    "publish_with_links",
    "read_customer_ids",
    "rebuild_tallies",
    "response_columns",
    "response_frame",
    "survey_of",
]
