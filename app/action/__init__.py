"""The GitHub Action's side of diffrisk: workflow commands, runner files, the triggering event."""
