"""Team mode: one host (PostgreSQL and an authenticated MLflow server) shared by members."""
