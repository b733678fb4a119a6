"""The publisher's details and the licence on every page, as `publisher` and `site_licence`.

They come from the build's metadata (register/schema/metadata.py copies publisher.yml
there), so a site shows the publisher of the data it serves and the templates name no
organisation themselves. Error pages get them too: Datasette renders those with this hook.
"""

from __future__ import annotations

from datasette import hookimpl


@hookimpl
def extra_template_vars(datasette):
    return {
        "publisher": datasette.metadata("publisher") or {},
        # The data package's licence (register/schema/metadata.py), or the national site's words.
        "site_licence": {"title": datasette.metadata("license") or "", "url": datasette.metadata("license_url") or ""},
    }
