"""Fixtures for the resilience tests: caller speech as the end-to-end tests make it."""

from tests.e2e.conftest import say

__all__ = ["say"]
