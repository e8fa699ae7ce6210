"""Themes and sentiment for free-text feedback: a small linear model shipped as plain arrays.

``FeedbackModel.load()`` reads the shipped weights; training and evaluation live in ``train`` and
``evaluate`` (they need scikit-learn, prediction does not).
"""

from liaison.feedback.analysis.model import FeedbackModel, Prediction

__all__ = ["FeedbackModel", "Prediction"]
