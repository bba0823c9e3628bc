"""Shipped, sourced datasets; their schemas; loading and validation."""
