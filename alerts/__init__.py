"""Alerts: threshold rules over windows per place and category, raised as they stream in."""
