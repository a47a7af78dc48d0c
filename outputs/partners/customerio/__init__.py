"""Customer.io partner."""
