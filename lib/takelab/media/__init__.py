"""Video files: reading and writing (`io`), frame statistics, quality checks (QA) and the files of
a take.
"""
