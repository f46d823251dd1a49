"""Contact groups: named lists of phone numbers a tenant sends one text to."""
