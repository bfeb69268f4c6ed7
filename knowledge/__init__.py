"""FAQ model, knowledge packs (YAML folders editors own), import into the database."""
