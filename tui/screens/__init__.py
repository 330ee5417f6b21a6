"""The console's screens, one per file: fleet, site, camera."""
