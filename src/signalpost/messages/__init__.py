"""Messages: accepting sends (fan-out), reading and listing them, cancelling them."""
