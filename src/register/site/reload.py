"""A running site picks up a new build by itself: no restart, no half state.

`make append` (and `make build`) write a new build/register.db beside the old one and
rename it into place, then write build/inspect.json for it. Datasette opened the old
file in immutable mode and would go on serving it until restarted. A watcher thread
notices the new file (its inode, size and modification time) and waits until
inspect.json describes exactly that file (the build records the inode, size and time of
the file it hashed, so no file is hashed here; an inspect file without them, from an
older build, is checked by size and digest), so table counts and the file always
agree. Then, on the server's own event loop, between two requests, the register's
Database object is replaced by one opened on the new file with the new inspect data,
and the response cache (register/site/cache.py) is emptied. Requests that
were already running on the old build finish on it; what they would add to the cache
is dropped a few seconds later, when the old connections are closed. Each build is
opened by a second name of its own (a hard link beside it, removed with its
connections), so a SQL thread whose first query on a build comes after the next one is
renamed into place still reads its own build.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import threading
import time
import weakref
from pathlib import Path

from datasette import database as datasette_database
from datasette import hookimpl
from datasette.database import Database

from register.site import coded_facets, index_walk, long_lived, measure_chart, search_rows, sorts, tie_break
from register.site.cache import cache_for
from register.site.stored_answers import StoredAnswers
from register.util import pins
from register.util.files import database_digest, file_stamp

POLL_S = 0.2
# Longer than any request may run on the old build (SQL is limited to 1 s; a page
# makes a few queries): then the old connections are closed and the cache emptied again.
GRACE_S = 5.0
INSPECT = "inspect.json"


def stamp(path: Path) -> tuple | None:
    found = file_stamp(path)
    return tuple(found) if found else None


def inspect_for(db_path: Path, name: str) -> dict | None:
    """The inspect data beside the database when it describes the file now in place,
    else None (the build has renamed the database and not yet written its inspect file)."""
    try:
        inspect = json.loads((db_path.parent / INSPECT).read_text("utf-8"))
        entry = inspect[name]
        if "file_stamp" in entry:  # written for the file it names by inode, size and time, after hashing it
            return inspect if entry["file_stamp"] == list(stamp(db_path) or ()) else None
        if entry["size"] != db_path.stat().st_size or entry["hash"] != database_digest(db_path):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return inspect


class BuildDatabase(Database):
    """One build of a database. Datasette keeps each SQL thread's connection under the
    database's name, so a new Database of the same name would go on reading the old
    file through them: each build keeps its connections under a key of its own, and
    opens its own file by a name of its own (pin)."""

    def __init__(self, datasette, path: str, key: str):
        self.source = Path(path)
        super().__init__(datasette, path=str(pins.pin(self.source, key.rsplit("#", 1)[-1])), is_mutable=False)
        self.key = key
        self._answers = StoredAnswers()
        self.sorts = sorts.Offered(self.path)  # its own file, read once

    def close(self):
        super().close()
        if Path(self.path) != self.source:
            pins.unpin(Path(self.path))

    # What Datasette reads of the schema, through a SQL thread each time: the database
    # page asks for three of them for each of its 120 tables and views (about 500 trips
    # to a SQL thread a page). The file never changes, so each is read once per build
    # and handed out as a copy.
    async def _schema(self, name: str, *args):
        kept = self.__dict__.setdefault("_schema_reads", {})
        if (name, *args) not in kept:
            kept[(name, *args)] = await getattr(super(), name)(*args)
        return copy.deepcopy(kept[(name, *args)])

    async def table_columns(self, table):
        return await self._schema("table_columns", table)

    async def table_column_details(self, table):
        return await self._schema("table_column_details", table)

    async def primary_keys(self, table):
        return await self._schema("primary_keys", table)

    async def fts_table(self, table):
        return await self._schema("fts_table", table)

    async def foreign_keys_for_table(self, table):
        return await self._schema("foreign_keys_for_table", table)

    async def get_all_foreign_keys(self):
        return await self._schema("get_all_foreign_keys")

    async def execute(self, sql, params=None, *args, **kwargs):
        """As Datasette's, except for the queries the build's stored names and counts
        answer (register/site/stored_answers.py), and a searched table page's rows
        (register/site/search_rows.py), and a sorted table page's first page ordered as its
        next pages are, and the next pages' marker given as the kind of value it names
        (register/site/tie_break.py), and a filtered page read in its sort's index when
        the filters keep many rows (register/site/index_walk.py)."""
        answered = await self._answers.answer(super().execute, sql, params, self)
        if answered is None and not args:
            answered = await search_rows.answer(super().execute, self, sql, params, **kwargs)
        if answered is not None:
            return answered
        params = await tie_break.typed_marker(self, sql, params, super().execute)
        sql = await index_walk.walked(self, await tie_break.ordered(self, sql), params)
        return await super().execute(sql, params, *args, **kwargs)

    async def execute_fn(self, fn):
        if self.ds.executor is None:  # non-threaded mode keeps its connection on the object
            return await super().execute_fn(fn)
        local = datasette_database.connections

        def in_thread():
            conn = getattr(local, self.key, None)
            if conn is None:
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(local, self.key, conn)
            return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


def swap(datasette, name: str, path: Path, inspect: dict) -> Database:
    """Serve `path` as database `name` from now on; the old build's cached responses go."""
    old = datasette.databases.get(name)
    datasette.inspect_data = {**(datasette.inspect_data or {}), **inspect}
    db = BuildDatabase(datasette, str(path), f"{name}#{secrets.token_hex(8)}")
    db.name = name
    db.route = old.route if old is not None else name
    databases = datasette.databases.copy()  # replaced, never mutated (as add_database does)
    databases[name] = db
    datasette.databases = databases
    sorts.apply(datasette)
    cache_for(datasette).clear()
    return old


class Watcher:
    """Watches one immutable database file of a Datasette and swaps in each new build."""

    def __init__(self, datasette, name: str):
        self.datasette = weakref.ref(datasette)
        self.name = name
        db = datasette.databases[name]
        self.path = getattr(db, "source", Path(db.path))
        self.served = self.files()
        self.tried = self.served
        self.loop: asyncio.AbstractEventLoop | None = None  # the serving loop, once a request came
        self.swaps = 0
        self.warming: asyncio.Task | None = None  # kept: the loop holds its tasks weakly

    def files(self) -> tuple:
        return (stamp(self.path), stamp(self.path.parent / INSPECT))

    def poll(self) -> bool:
        """Look once; True when a new build was swapped in (or handed to the loop)."""
        now = self.files()
        if now in (self.served, self.tried) or now[0] is None:
            return False
        self.tried = now
        inspect = inspect_for(self.path, self.name)
        if inspect is None:
            return False
        self.served = now
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.apply, inspect)
        else:
            self.apply(inspect)
        return True

    def apply(self, inspect: dict) -> None:
        datasette = self.datasette()
        if datasette is None:
            return
        old = swap(datasette, self.name, self.path, inspect)
        self.swaps += 1
        if self.loop is not None and self.loop.is_running():  # on the serving loop, between requests
            self.warming = self.loop.create_task(warmed(datasette.databases[self.name]))
        if old is not None:
            if self.loop is not None and self.loop.is_running():
                self.loop.call_later(GRACE_S, retire, datasette, old)
            else:
                retire(datasette, old)

    def run(self) -> None:
        while self.datasette() is not None:
            try:
                self.poll()
            except OSError:
                pass  # a file vanished between two looks: the next look sees the new one
            time.sleep(POLL_S)


def retire(datasette, old: Database) -> None:
    """After the grace period: nothing can still be reading the old build."""
    cache_for(datasette).clear()
    old.close()
    long_lived.settle()  # the old build's objects, frozen with it, collected


async def warmed(db: Database) -> None:
    """The build's codes read (coded_facets.warm), then what is alive moved out of the
    garbage collector's way (long_lived.py)."""
    await coded_facets.warm(db)
    long_lived.settle()


WATCHERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def immutable_files(datasette) -> list[str]:
    return [name for name, db in datasette.databases.items() if db.path and not db.is_mutable and not db.is_memory]


@hookimpl
def startup(datasette):
    """One watcher thread per immutable database; it stops when the Datasette is gone."""
    for name in immutable_files(datasette):  # served as a build from the start (names read once)
        path = Path(datasette.databases[name].path)
        pins.clear_dead(path)
        swap(datasette, name, path, {})
    watchers = [Watcher(datasette, name) for name in immutable_files(datasette)]
    WATCHERS[datasette] = watchers
    for w in watchers:
        threading.Thread(target=w.run, name=f"reload-{w.name}", daemon=True).start()

    async def warm():  # before the server takes its first request
        for name in immutable_files(datasette):
            await warmed(datasette.databases[name])

    return warm


def _unpinning(receive):
    async def receiving():
        message = await receive()
        if message.get("type") == "lifespan.shutdown":
            pins.unpin_all()
            measure_chart.stop_drawing()  # its process would outlive the server
        return message

    return receiving


@hookimpl
def asgi_wrapper(datasette):
    """Tell the watchers the serving loop, so swaps happen on it, between requests."""

    def wrapper(app):
        async def noting_loop(scope, receive, send):
            if scope["type"] == "lifespan":  # the server is stopping: its builds' second names go
                return await app(scope, _unpinning(receive), send)
            for w in WATCHERS.get(datasette, ()):
                if w.loop is None:
                    w.loop = asyncio.get_running_loop()
            await app(scope, receive, send)

        return noting_loop

    return wrapper
