"""Customer features built from other kinds of data (transaction logs)."""
