"""Facebook Custom Audiences partner."""
