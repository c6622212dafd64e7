"""RQ jobs and the analysis pipeline (built with the GitHub App issue)."""
