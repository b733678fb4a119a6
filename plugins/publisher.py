"""Datasette hook giving the templates the publisher's details: the code is register.site.publisher."""

from register.site.publisher import extra_template_vars  # noqa: F401
