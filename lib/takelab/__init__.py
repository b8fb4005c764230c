"""takelab: experiment with prompts for AI video generators.

Importing takelab starts nothing: backends, MLflow and papermill are imported
only when used.
"""

from takelab.errors import TakelabError

__all__ = ["TakelabError", "__version__"]
__version__ = "0.1.0"
