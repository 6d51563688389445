"""The one base class for errors caused by the user's input (files, definitions, options).

The command line prints such an error as a clear message and exits non-zero, without a traceback;
the web app shows it next to the form field or upload it concerns.
"""

from __future__ import annotations


class CxroiError(Exception):
    """Bad input from the user; `exit_code` is what the command line exits with."""

    exit_code = 2
