"""Fakes of provider APIs and test backends."""
