"""Files for the office: certifications to print and letters to send."""
