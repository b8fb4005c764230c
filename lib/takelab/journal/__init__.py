"""The journal: the record of every take, written before money is spent (SQLite locally, PostgreSQL
in team mode).
"""
