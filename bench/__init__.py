"""Benchmarks: `make bench` (python -m bench.run) writes bench/results/<timestamp>.json and prints a table."""
