"""Tests of evaluate/ (a folder named evaluate would clash with the package under pytest's importlib mode)."""
