"""The project file: its model (`model`), loading and checking (`load`) and the cut section."""
