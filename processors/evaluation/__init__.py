"""Evaluation harnesses behind ``tocsin eval``: read labelled files as published, print measures."""
