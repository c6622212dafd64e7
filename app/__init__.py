"""The I/O side of diffrisk: settings, storage, the CLI."""
