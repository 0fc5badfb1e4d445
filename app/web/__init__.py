"""The web layer: the app factory, REST routes and pages."""
