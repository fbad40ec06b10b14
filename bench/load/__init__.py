"""The load test (``make load``): see bench/load/run.py and docs/testing.md."""
