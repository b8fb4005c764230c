"""The prompt linter: rules (`rules`), the checks behind them, the lexicon (word lists in `data/`),
fixes and scoring.
"""
