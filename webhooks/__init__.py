"""Flask blueprint for GitHub webhooks (built with the GitHub App issue)."""
