"""Datasette hooks for facet counts of whole tables stored at build time: the code is
register.site.facets. Datasette's own column facet is unplugged here, so that each facet
is counted (or read) once."""

from datasette import hookimpl
from datasette.plugins import pm

from register.site import coded_facets, facets

if pm.get_plugin("datasette.facets") is not None:
    pm.unregister(name="datasette.facets")


@hookimpl
def register_facet_classes():
    return facets.register_facet_classes()


@hookimpl
def asgi_wrapper(datasette):
    return coded_facets.one_request
