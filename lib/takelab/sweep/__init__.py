"""Sweeps: the plan (variants x backends x seeds), one take's run, the papermill notebook, progress
and Ray.
"""
