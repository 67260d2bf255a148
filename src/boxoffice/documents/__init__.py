"""Ticket and receipt PDFs: builders read the database into frozen data, renderers turn that
data into bytes without touching the database (DESIGN §2)."""
