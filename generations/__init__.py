"""Prompt sets, chat models, generations and the jobs and backends that produce them."""
