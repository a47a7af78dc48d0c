"""The criteria engine: audience definitions, their compiler to SQL and their reference evaluator."""
