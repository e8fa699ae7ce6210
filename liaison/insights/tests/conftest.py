"""The shared scenarios as fixtures for every insights test."""

from liaison.insights.tests.scenario import england, harbor  # noqa: F401
