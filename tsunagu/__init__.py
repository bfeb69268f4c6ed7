"""Tsunagu composition root: settings, database, app factory and CLI. It only wires the other packages."""
