"""Datasette hook giving the templates the page's address and day for print: the code is register.site.printed."""

from register.site.printed import extra_template_vars  # noqa: F401
