"""Parameters taken out of a request before Datasette or the response cache sees it
(blank searches, register/site/blank_search.py; tracking parameters,
register/site/filter_columns.py): one way of doing it, every other parameter passed on
exactly as it was sent."""

from __future__ import annotations

from collections.abc import Callable


def drop_parts(qs: bytes, unwanted: Callable[[bytes], bool]) -> bytes:
    """The query string less its unwanted `name=value` parts; the same object when none is."""
    parts = qs.split(b"&")
    kept = [p for p in parts if not unwanted(p)]
    return qs if len(kept) == len(parts) else b"&".join(kept)


def cleaning(clean: Callable[[bytes], bytes]):
    """An asgi_wrapper that passes each HTTP request on with clean(its query string)."""

    def wrap(app):
        async def cleaned(scope, receive, send):
            if scope.get("type") == "http" and scope.get("query_string"):
                qs = clean(scope["query_string"])
                if qs is not scope["query_string"]:
                    scope = {**scope, "query_string": qs}
            return await app(scope, receive, send)

        return cleaned

    return wrap
