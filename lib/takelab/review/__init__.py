"""Review: verdicts, versions, preferences and ranking, analytics, learning and listing takes."""
