"""Prints the demo database's tables, columns and applied migrations."""

import sqlite3
import sys

db = sqlite3.connect(sys.argv[1])
for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    columns = ", ".join(f"{c[1]} {c[2]}".strip() for c in db.execute(f"PRAGMA table_info({name})"))
    print(f"  {name}({columns})")
versions = [v for (v,) in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
print(f"  applied migrations: {', '.join(versions) or 'none'}")
