"""GitHub webhooks: verify, parse, dedupe, route (event, action), persist and enqueue."""
