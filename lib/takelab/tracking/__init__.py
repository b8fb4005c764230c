"""MLflow: the tracker that mirrors the journal into runs, its store, its errors and `sync`."""
