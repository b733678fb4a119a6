"""The staff workflows. Run as `python -m register.staff.<command>`, this package is
imported before the command's own imports, which take a moment: Ctrl+C pressed then
is said in one line, not as a traceback (register/util/guard.py)."""

import sys

from register.util.guard import stopped_while_starting

if sys.excepthook is sys.__excepthook__:
    sys.excepthook = stopped_while_starting
