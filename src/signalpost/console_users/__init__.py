"""People who sign in to the console: one organization each, passwords, sessions."""
