"""The publisher's details on every page, as `publisher` in the templates.

They come from the build's metadata (register/schema/metadata.py copies publisher.yml
there), so a site shows the publisher of the data it serves and the templates name no
organisation themselves. Error pages get them too: Datasette renders those with this hook.
"""

from __future__ import annotations

from datasette import hookimpl


@hookimpl
def extra_template_vars(datasette):
    return {"publisher": datasette.metadata("publisher") or {}}
