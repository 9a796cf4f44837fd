"""Web: settings, database, accounts, authorisation, routes, templates and the CLI."""
