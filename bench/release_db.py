"""The database of a release, kept as a test fixture (issue 14.11): `tests/test_release_upgrade.py`
upgrades it with the migrations of the code under test and serves it, so a new migration that loses
data or a change that cannot read an older database fails a test.

    python -m bench.release_db [--version 0.1.0] [--out tests/data]

Made the way bench/snapshot.py makes its database: a fresh SQLite file, the migrations to head,
`flask demo-data` (the small school, seed 2026, password bench.snapshot.PASSWORD), the clock frozen at
20.11.2026. Written as `release-VERSION.sqlite.gz` (its bytes differ between runs only by the password
salts and session tokens) and `release-VERSION.json`: the alembic revision, the demo accounts, the rows
of every table. Run it once per release, on the release's commit; never rewrite an older release's files.
"""
import argparse
import gzip
import json
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench.snapshot import PASSWORD, SEED, TODAY, demo_data, log, make_app
from models import db

VERSION = "0.1.0"
OUT = Path(__file__).resolve().parent.parent / "tests" / "data"


def row_counts(path):
    """{table: rows} of every table of a SQLite file, by name."""
    with sqlite3.connect(path) as conn:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}
    conn.close()
    return counts


def revision(path):
    with sqlite3.connect(path) as conn:
        (rev,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    return rev


def build(version=VERSION, out=OUT):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        path = Path(tmp) / "release.db"
        app = make_app(path)
        accounts, _ = demo_data(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        conn.execute("VACUUM")
        conn.close()
        info = {"version": version, "alembic_revision": revision(path), "today": TODAY.isoformat(),
                "seed": SEED, "password": PASSWORD,
                "accounts": {role: login for role, login in accounts}, "row_counts": row_counts(path)}
        target = out / f"release-{version}.sqlite.gz"
        with open(path, "rb") as source, open(target, "wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed:
            shutil.copyfileobj(source, packed)
        size = path.stat().st_size
    (out / f"release-{version}.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n",
                                                 encoding="utf-8")
    log(f"{target}: {size / 2**20:.1f} MB database, {target.stat().st_size / 2**20:.2f} MB gzip'ed; "
        f"revision {info['alembic_revision']}, {sum(info['row_counts'].values())} rows")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.release_db", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--out", default=str(OUT), help="directory (default tests/data)")
    args = parser.parse_args(argv)
    build(args.version, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
