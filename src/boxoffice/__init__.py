"""boxoffice: order back office for event ticketing."""
