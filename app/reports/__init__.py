"""Report renderers: the analysis result as JSON, markdown, SARIF and HTML."""
