"""The exception queue (review items) and, later, the staff web app."""
