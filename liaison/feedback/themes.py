"""The default theme taxonomy for feedback: the NHS England framework labels the shipped model uses.

One list, kept with the model (its order is the order of the weight columns); re-exported here for the
forms and pages that offer themes.
"""

from liaison.feedback.analysis.labels import THEME_LABELS

__all__ = ["THEME_LABELS"]
