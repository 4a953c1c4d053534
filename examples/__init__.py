"""Worked examples of the API, installed as ``mmapspec.examples``."""
