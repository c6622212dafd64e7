"""The analysis of one change: history, models, facts, scores, gate and result."""
