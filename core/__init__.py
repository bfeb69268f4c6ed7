"""The floor: settings base, database, clock, logging and request ids. Imports no project package."""
