# daemon/: content-addressed store, SQLite catalog, wheel ingestion.
