"""Live sessions: scheduling, RSVPs, the live room, calendars and archives."""
