"""The data-quality check: rules, the report document, its JSON and HTML forms."""
