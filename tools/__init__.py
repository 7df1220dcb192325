"""Acme support business logic and order stores, kept free of any voice framework."""
