"""Delivery statistics: rollups kept in step with every state change, and queries."""
