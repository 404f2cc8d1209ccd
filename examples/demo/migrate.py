"""The demo app's migration command: applies pending SQL migrations to a SQLite database.

It is what `bin/rails db:migrate` or `fleet prepare db` is to a real app: it runs inside the
migration task (in the emulator, as a local process), prints what it does, and exits non-zero when
a migration fails, leaving the database at the last good migration.

Environment:
  DATABASE_PATH   the SQLite file (created if missing)
  MIGRATIONS_DIR  folders of NNN_name.sql files, `:`-separated (default: migrations)
"""

import os
import sqlite3
import sys
import time
from pathlib import Path


def main() -> int:
    database = os.environ.get("DATABASE_PATH", "app.db")
    folders = [Path(f) for f in os.environ.get("MIGRATIONS_DIR", "migrations").split(":")]
    db = sqlite3.connect(database)
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
    pending = sorted(
        (p for folder in folders for p in folder.glob("*.sql") if p.stem not in done),
        key=lambda p: p.stem,
    )
    print(f"database {database}: {len(done)} applied, {len(pending)} pending", flush=True)
    for path in pending:
        print(f"== {path.stem}: migrating", flush=True)
        started = time.monotonic()
        try:
            with db:  # one transaction per migration
                db.executescript(f"BEGIN;\n{path.read_text()}\nCOMMIT;")
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, datetime('now'))", (path.stem,)
                )
        except sqlite3.Error as err:
            db.rollback()
            print(f"== {path.stem}: FAILED: {err}", file=sys.stderr, flush=True)
            print(f"error: migration {path.stem} failed; database left at the previous version",
                  file=sys.stderr, flush=True)
            return 1
        print(f"== {path.stem}: migrated ({time.monotonic() - started:.3f}s)", flush=True)
    print("migrations complete", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
